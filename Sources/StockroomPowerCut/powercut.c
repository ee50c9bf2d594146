// A pass-through VFS over SQLite's default one that journals unsynced writes (see
// include/powercut.h). The undo journal format, one record per write or truncate:
//   u64 offset, u32 length, then `length` bytes: what the file held at
//   [offset, offset + length) before the write (zeros past the end of the file).
// Records are appended in the order the writes happened; xSync empties the journal.
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "powercut.h"

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static const char *tracked_prefix;
// One lock over every tracked write and sync: a sync and the emptying of its journal
// must not let a write slip in between.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
  sqlite3_file base;
  int undo_fd;  // -1 when the file is not tracked
  sqlite3_file *real;
} ShimFile;

static sqlite3_file *real_of(sqlite3_file *file) { return ((ShimFile *)file)->real; }

static int append_undo(ShimFile *file, sqlite3_int64 offset, int length) {
  unsigned char *old = calloc(1, (size_t)length > 0 ? (size_t)length : 1);
  if (!old) return SQLITE_NOMEM;
  int rc = file->real->pMethods->xRead(file->real, old, length, offset);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
    free(old);
    return rc;
  }
  uint64_t off = (uint64_t)offset;
  uint32_t len = (uint32_t)length;
  int ok = write(file->undo_fd, &off, sizeof off) == sizeof off && write(file->undo_fd, &len, sizeof len) == sizeof len &&
           write(file->undo_fd, old, len) == (ssize_t)len;
  free(old);
  return ok ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

static int shim_close(sqlite3_file *file) {
  ShimFile *shim = (ShimFile *)file;
  int rc = shim->real->pMethods ? shim->real->pMethods->xClose(shim->real) : SQLITE_OK;
  if (shim->undo_fd >= 0) close(shim->undo_fd);
  free(shim->real);
  return rc;
}

static int shim_read(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
  return real_of(file)->pMethods->xRead(real_of(file), buffer, amount, offset);
}

static int shim_write(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset) {
  ShimFile *shim = (ShimFile *)file;
  if (shim->undo_fd < 0) return shim->real->pMethods->xWrite(shim->real, buffer, amount, offset);
  pthread_mutex_lock(&lock);
  int rc = append_undo(shim, offset, amount);
  if (rc == SQLITE_OK) rc = shim->real->pMethods->xWrite(shim->real, buffer, amount, offset);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int shim_truncate(sqlite3_file *file, sqlite3_int64 size) {
  ShimFile *shim = (ShimFile *)file;
  if (shim->undo_fd < 0) return shim->real->pMethods->xTruncate(shim->real, size);
  pthread_mutex_lock(&lock);
  sqlite3_int64 current = 0;
  int rc = shim->real->pMethods->xFileSize(shim->real, &current);
  if (rc == SQLITE_OK && current > size) rc = append_undo(shim, size, (int)(current - size));
  if (rc == SQLITE_OK) rc = shim->real->pMethods->xTruncate(shim->real, size);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int shim_sync(sqlite3_file *file, int flags) {
  ShimFile *shim = (ShimFile *)file;
  if (shim->undo_fd < 0) return shim->real->pMethods->xSync(shim->real, flags);
  pthread_mutex_lock(&lock);
  int rc = shim->real->pMethods->xSync(shim->real, flags);
  // Durable now: nothing of this file is left for a power cut to undo.
  if (rc == SQLITE_OK && ftruncate(shim->undo_fd, 0) != 0) rc = SQLITE_IOERR_FSYNC;
  pthread_mutex_unlock(&lock);
  return rc;
}

static int shim_file_size(sqlite3_file *f, sqlite3_int64 *size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
static int shim_lock(sqlite3_file *f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
static int shim_unlock(sqlite3_file *f, int level) { return real_of(f)->pMethods->xUnlock(real_of(f), level); }
static int shim_check_reserved(sqlite3_file *f, int *out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
static int shim_file_control(sqlite3_file *f, int op, void *arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
static int shim_sector_size(sqlite3_file *f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
static int shim_device(sqlite3_file *f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
static int shim_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
static void shim_shm_barrier(sqlite3_file *f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
static int shim_shm_unmap(sqlite3_file *f, int deleteFlag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), deleteFlag);
}
static int shim_fetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out) {
  // No memory-mapped reads: every byte goes through xRead, so the journal sees all.
  *out = 0;
  return SQLITE_OK;
}
static int shim_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *p) { return SQLITE_OK; }

static const sqlite3_io_methods shim_methods = {
    3, shim_close, shim_read, shim_write, shim_truncate, shim_sync, shim_file_size, shim_lock, shim_unlock,
    shim_check_reserved, shim_file_control, shim_sector_size, shim_device, shim_shm_map, shim_shm_lock,
    shim_shm_barrier, shim_shm_unmap, shim_fetch, shim_unfetch};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
  ShimFile *shim = (ShimFile *)file;
  shim->base.pMethods = 0;
  shim->undo_fd = -1;
  shim->real = calloc(1, (size_t)real_vfs->szOsFile);
  if (!shim->real) return SQLITE_NOMEM;
  int rc = real_vfs->xOpen(real_vfs, name, shim->real, flags, outFlags);
  if (rc != SQLITE_OK) {
    free(shim->real);
    shim->real = 0;
    return rc;
  }
  if (name && tracked_prefix && strncmp(name, tracked_prefix, strlen(tracked_prefix)) == 0) {
    char path[4096];
    snprintf(path, sizeof path, "%s.powercut-undo", name);
    shim->undo_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  }
  shim->base.pMethods = &shim_methods;
  return SQLITE_OK;
}

static int shim_delete(sqlite3_vfs *vfs, const char *name, int syncDir) { return real_vfs->xDelete(real_vfs, name, syncDir); }
static int shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *shim_dl_open(sqlite3_vfs *vfs, const char *name) { return real_vfs->xDlOpen(real_vfs, name); }
static void shim_dl_error(sqlite3_vfs *vfs, int n, char *out) { real_vfs->xDlError(real_vfs, n, out); }
static void (*shim_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
static void shim_dl_close(sqlite3_vfs *vfs, void *handle) { real_vfs->xDlClose(real_vfs, handle); }
static int shim_randomness(sqlite3_vfs *vfs, int n, char *out) { return real_vfs->xRandomness(real_vfs, n, out); }
static int shim_sleep(sqlite3_vfs *vfs, int micros) { return real_vfs->xSleep(real_vfs, micros); }
static int shim_current_time(sqlite3_vfs *vfs, double *out) { return real_vfs->xCurrentTime(real_vfs, out); }
static int shim_last_error(sqlite3_vfs *vfs, int n, char *out) { return real_vfs->xGetLastError(real_vfs, n, out); }
static int shim_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int stockroom_powercut_register(void) {
  if (real_vfs) return SQLITE_OK;
  tracked_prefix = getenv("STOCKROOM_POWERCUT_DIR");
  if (!tracked_prefix || !*tracked_prefix) return SQLITE_OK;
  real_vfs = sqlite3_vfs_find(0);
  if (!real_vfs) return SQLITE_ERROR;
  shim_vfs = (sqlite3_vfs){
      .iVersion = 2,
      .szOsFile = sizeof(ShimFile),
      .mxPathname = real_vfs->mxPathname,
      .zName = "stockroom-powercut",
      .xOpen = shim_open,
      .xDelete = shim_delete,
      .xAccess = shim_access,
      .xFullPathname = shim_full_pathname,
      .xDlOpen = shim_dl_open,
      .xDlError = shim_dl_error,
      .xDlSym = shim_dl_sym,
      .xDlClose = shim_dl_close,
      .xRandomness = shim_randomness,
      .xSleep = shim_sleep,
      .xCurrentTime = shim_current_time,
      .xGetLastError = shim_last_error,
      .xCurrentTimeInt64 = shim_current_time_int64,
  };
  fprintf(stderr, "stockroom-powercut: journaling unsynced writes under %s\n", tracked_prefix);
  return sqlite3_vfs_register(&shim_vfs, 1);
}

__attribute__((constructor)) static void powercut_load(void) { stockroom_powercut_register(); }
