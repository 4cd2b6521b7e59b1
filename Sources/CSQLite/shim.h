#include <sqlite3.h>
#include <stddef.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; it does not import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
