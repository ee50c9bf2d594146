#ifndef STOCKROOM_POWERCUT_H
#define STOCKROOM_POWERCUT_H

/// Test support only: a SQLite VFS shim that makes power loss reproducible.
///
/// Loaded with LD_PRELOAD into a real `stockroom` process, it registers itself as the
/// default VFS when STOCKROOM_POWERCUT_DIR is set. For every file under that folder it
/// appends, before each write or truncate, the bytes about to be overwritten to
/// `<file>.powercut-undo`, and empties that journal when the file is fsynced. After the
/// process is killed, the journal holds exactly the writes the disk had not been asked to
/// make durable; the test undoes a random suffix of them per 512-byte sector, which is
/// what a power cut may leave on disk. See Tests/StockroomEndToEndTests/PowerCutTests.swift.
int stockroom_powercut_register(void);

#endif
