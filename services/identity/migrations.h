#pragma once

// Identity's migrations, compiled in from migrations/*.sql.

#include <vector>

#include "plaza/pg/migrate.h"

namespace plaza::identity {
const std::vector<plaza::pg::Migration>& Migrations();
}  // namespace plaza::identity
