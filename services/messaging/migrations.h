#pragma once

// Messaging's migrations, compiled in from migrations/*.sql.

#include <vector>

#include "plaza/pg/migrate.h"

namespace plaza::messaging {
const std::vector<plaza::pg::Migration>& Migrations();
}  // namespace plaza::messaging
