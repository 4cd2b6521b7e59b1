#include <sqlite3.h>
#include <stddef.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; it does not import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_db_config is variadic and does not import; these wrappers fix its arguments.
static inline int csqlite_no_checkpoint_on_close(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on, (int *)0);
}
static inline int csqlite_persist_wal(sqlite3 *db, int on) {
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
}
