#pragma once

// Groups' migrations, compiled in from migrations/*.sql.

#include <vector>

#include "plaza/pg/migrate.h"

namespace plaza::groups {
const std::vector<plaza::pg::Migration>& Migrations();
}  // namespace plaza::groups
