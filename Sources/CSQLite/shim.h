#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; it does not import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_db_config is variadic and does not import; these wrappers fix its arguments.
static inline int csqlite_no_checkpoint_on_close(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on, (int *)0);
}
static inline int csqlite_persist_wal(sqlite3 *db, int on) {
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
}

// gate's VFS: SQLite's "unix" VFS with two changes, both about the write-ahead log.
//
// 1. A WAL that already exists is opened without O_CREAT. SQLite syncs the directory at the first
//    sync of any WAL it opened with O_CREAT, whether or not the open created it: with a
//    persistent WAL that is one directory sync per gate process, for a directory entry the
//    process that made the file already synced. A missing WAL is still created (and its
//    directory synced) by SQLite itself.
// 2. Emptying the WAL (a TRUNCATE checkpoint: every frame is in state.db, synced) zeroes its
//    32-byte header instead of cutting the file to nothing. Every gate process is the WAL's
//    first reader and rebuilds its index from the file: an invalid header reads as an empty
//    log, as a cut file does, so the next process neither re-reads nor re-folds frames already
//    in state.db (with SQLite's own restart-in-place it did both). And the file keeps its
//    blocks: the next commits overwrite them, where after a cut each commit's sync would also
//    have to record the file's growth (0.15 ms against 0.09 ms a sync here, BENCHMARKS.md).
//    A crash before the zeroes reach the disk leaves a whole log of frames already in
//    state.db: replaying them is harmless. The next writer writes a new header with new salts
//    and syncs it before any frame (SQLite's restart rule), so no old frame reads as new.

typedef struct csqlite_gate_wal {
    sqlite3_file base;   // pMethods: the wrapper's (csqlite_gate_vfs_data.wal_methods)
    sqlite3_file *real;  // the unix VFS's file, in the bytes right after this struct
} csqlite_gate_wal;

typedef struct csqlite_gate_vfs_data {
    sqlite3_vfs *unix_vfs;
    sqlite3_io_methods wal_methods;
} csqlite_gate_vfs_data;

static inline sqlite3_file *csqlite_wal_real(sqlite3_file *f) { return ((csqlite_gate_wal *)f)->real; }

static inline int csqlite_wal_close(sqlite3_file *f) {
    sqlite3_file *r = csqlite_wal_real(f);
    int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
    f->pMethods = 0;
    return rc;
}
static inline int csqlite_wal_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xRead(r, b, n, o); }
static inline int csqlite_wal_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xWrite(r, b, n, o); }
static inline int csqlite_wal_truncate(sqlite3_file *f, sqlite3_int64 size) {
    sqlite3_file *r = csqlite_wal_real(f);
    sqlite3_int64 have = 0;
    if (size == 0 && r->pMethods->xFileSize(r, &have) == SQLITE_OK && have >= 32) {
        unsigned char zero[32] = {0};
        return r->pMethods->xWrite(r, zero, 32, 0);
    }
    return r->pMethods->xTruncate(r, size);
}
static inline int csqlite_wal_sync(sqlite3_file *f, int flags) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xSync(r, flags); }
static inline int csqlite_wal_size(sqlite3_file *f, sqlite3_int64 *s) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xFileSize(r, s); }
static inline int csqlite_wal_lock(sqlite3_file *f, int l) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xLock(r, l); }
static inline int csqlite_wal_unlock(sqlite3_file *f, int l) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xUnlock(r, l); }
static inline int csqlite_wal_reserved(sqlite3_file *f, int *o) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xCheckReservedLock(r, o); }
static inline int csqlite_wal_control(sqlite3_file *f, int op, void *a) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xFileControl(r, op, a); }
static inline int csqlite_wal_sector(sqlite3_file *f) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xSectorSize(r); }
static inline int csqlite_wal_device(sqlite3_file *f) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xDeviceCharacteristics(r); }
static inline int csqlite_wal_shm_map(sqlite3_file *f, int i, int n, int e, void volatile **p) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xShmMap(r, i, n, e, p); }
static inline int csqlite_wal_shm_lock(sqlite3_file *f, int o, int n, int fl) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xShmLock(r, o, n, fl); }
static inline void csqlite_wal_shm_barrier(sqlite3_file *f) { sqlite3_file *r = csqlite_wal_real(f); r->pMethods->xShmBarrier(r); }
static inline int csqlite_wal_shm_unmap(sqlite3_file *f, int d) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xShmUnmap(r, d); }
static inline int csqlite_wal_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xFetch(r, o, n, p); }
static inline int csqlite_wal_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { sqlite3_file *r = csqlite_wal_real(f); return r->pMethods->xUnfetch(r, o, p); }

static inline int csqlite_gate_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out) {
    csqlite_gate_vfs_data *data = (csqlite_gate_vfs_data *)vfs->pAppData;
    sqlite3_vfs *unix_vfs = data->unix_vfs;
    if (!(flags & SQLITE_OPEN_WAL)) return unix_vfs->xOpen(unix_vfs, name, file, flags, out);
    csqlite_gate_wal *wal = (csqlite_gate_wal *)file;
    sqlite3_file *real = (sqlite3_file *)(wal + 1);
    wal->base.pMethods = 0;
    wal->real = real;
    int rc = SQLITE_CANTOPEN;
    if ((flags & SQLITE_OPEN_CREATE) && name) rc = unix_vfs->xOpen(unix_vfs, name, real, flags & ~SQLITE_OPEN_CREATE, out);
    if (rc != SQLITE_OK) rc = unix_vfs->xOpen(unix_vfs, name, real, flags, out);
    if (rc != SQLITE_OK) return rc;
    if (!real->pMethods || real->pMethods->iVersion < 3) {
        // Not the unix VFS this wrapper was written for: use its file as it is.
        if (real->pMethods) real->pMethods->xClose(real);
        return unix_vfs->xOpen(unix_vfs, name, file, flags, out);
    }
    wal->base.pMethods = &data->wal_methods;
    return SQLITE_OK;
}

// Registers the VFS (not as the default) once; returns its name, or NULL without a unix VFS.
// The structs live on SQLite's heap for the life of the process (a file-scope static in this
// header is not emitted for Swift).
static inline const char *csqlite_gate_vfs_name(void) {
    if (sqlite3_vfs_find("gate-unix")) return "gate-unix";
    sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
    if (!unix_vfs) return 0;
    sqlite3_vfs *gate = (sqlite3_vfs *)sqlite3_malloc(sizeof(sqlite3_vfs));
    csqlite_gate_vfs_data *data = (csqlite_gate_vfs_data *)sqlite3_malloc(sizeof(csqlite_gate_vfs_data));
    if (!gate || !data) { sqlite3_free(gate); sqlite3_free(data); return 0; }
    *gate = *unix_vfs;
    gate->pNext = 0;
    gate->szOsFile = (int)sizeof(csqlite_gate_wal) + unix_vfs->szOsFile;
    gate->pAppData = data;
    gate->xOpen = csqlite_gate_open;
    gate->zName = "gate-unix";
    data->unix_vfs = unix_vfs;
    sqlite3_io_methods m = {
        3, csqlite_wal_close, csqlite_wal_read, csqlite_wal_write, csqlite_wal_truncate, csqlite_wal_sync,
        csqlite_wal_size, csqlite_wal_lock, csqlite_wal_unlock, csqlite_wal_reserved, csqlite_wal_control,
        csqlite_wal_sector, csqlite_wal_device, csqlite_wal_shm_map, csqlite_wal_shm_lock, csqlite_wal_shm_barrier,
        csqlite_wal_shm_unmap, csqlite_wal_fetch, csqlite_wal_unfetch,
    };
    data->wal_methods = m;
    if (sqlite3_vfs_register(gate, 0) != SQLITE_OK) { sqlite3_free(gate); sqlite3_free(data); return 0; }
    return "gate-unix";
}

// Folding the WAL into state.db, SQLite's automatic checkpoint replaced: once a commit leaves
// `limit` frames or more, a TRUNCATE checkpoint that waits for no one (the busy handler is off
// for it: a writer or reader in the way leaves the fold to a later commit, or makes it a
// PASSIVE one), so the log the next gate process opens is empty (see the VFS above).
static inline int csqlite_fold(sqlite3 *db, const char *name, int busy_ms) {
    sqlite3_busy_timeout(db, 0);
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, 0, 0);
    sqlite3_busy_timeout(db, busy_ms);
    return rc;
}
static inline int csqlite_fold_hook(void *arg, sqlite3 *db, const char *name, int frames) {
    long packed = (long)(intptr_t)arg;
    int limit = (int)(packed & 0xffff), busy_ms = (int)(packed >> 16);
    if (limit > 0 && frames >= limit) (void)csqlite_fold(db, name, busy_ms);
    return SQLITE_OK;
}
static inline void csqlite_fold_at(sqlite3 *db, int limit, int busy_ms) {
    sqlite3_wal_hook(db, csqlite_fold_hook, (void *)(intptr_t)(((long)busy_ms << 16) | (limit & 0xffff)));
}
