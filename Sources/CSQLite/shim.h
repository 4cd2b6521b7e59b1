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

// gate's VFS: SQLite's "unix" VFS, except that a write-ahead log that already exists is opened
// without O_CREAT. SQLite syncs the directory at the first sync of any WAL it opened with
// O_CREAT, whether or not the open created it: with a persistent WAL that is one directory sync
// per gate process, for a directory entry the process that made the file already synced. A
// missing WAL is still created (and its directory synced) by SQLite itself.
static inline int csqlite_gate_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out) {
    sqlite3_vfs *unix_vfs = (sqlite3_vfs *)vfs->pAppData;
    if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name) {
        int rc = unix_vfs->xOpen(unix_vfs, name, file, flags & ~SQLITE_OPEN_CREATE, out);
        if (rc == SQLITE_OK) return rc;
    }
    return unix_vfs->xOpen(unix_vfs, name, file, flags, out);
}

// Registers the VFS (not as the default) once; returns its name, or NULL without a unix VFS.
// The struct lives on SQLite's heap for the life of the process (a file-scope static in this
// header is not emitted for Swift).
static inline const char *csqlite_gate_vfs_name(void) {
    if (sqlite3_vfs_find("gate-unix")) return "gate-unix";
    sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
    if (!unix_vfs) return 0;
    sqlite3_vfs *gate = (sqlite3_vfs *)sqlite3_malloc(sizeof(sqlite3_vfs));
    if (!gate) return 0;
    *gate = *unix_vfs;
    gate->pNext = 0;
    gate->pAppData = unix_vfs;
    gate->xOpen = csqlite_gate_open;
    gate->zName = "gate-unix";
    if (sqlite3_vfs_register(gate, 0) != SQLITE_OK) { sqlite3_free(gate); return 0; }
    return "gate-unix";
}
