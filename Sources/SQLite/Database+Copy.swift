import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Database {
    /// Copies the database at `source` into a new file at `destination`, consistently:
    /// the copy is the database as one read transaction saw it, whatever another connection
    /// (the shard's writer) commits meanwhile. The source is opened read-only on its own
    /// connection, so in WAL mode the writer is never blocked; a checkpoint cannot pass the
    /// copy's read mark until it ends, so the WAL may grow for the copy's duration.
    ///
    /// Uses the online backup API in one step (one read transaction: the copy never restarts
    /// because the source changed). `destination` must not exist; it is fsynced before return,
    /// and removed if the copy fails. Returns the copy's size in bytes.
    package static func copy(from source: String, to destination: String) throws(Failure) -> Int64 {
        guard access(source, F_OK) == 0 else {
            throw Failure(SQLiteError(.sqlite, "cannot copy \(source): no such file; check the path", resultCode: SQLITE_CANTOPEN))
        }
        guard access(destination, F_OK) != 0 else {
            throw Failure(SQLiteError(.sqlite, "cannot copy into \(destination): the file exists; remove it or choose another path"))
        }
        let reader = try openRaw(source, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
        defer { sqlite3_close_v2(reader) }
        let writer: OpaquePointer
        do throws(Failure) {
            writer = try openRaw(destination, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
        } catch {
            unlink(destination)
            throw error
        }
        do throws(Failure) {
            // The destination is a new private file: no journal needed; fsynced once below.
            sqlite3_exec(writer, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", nil, nil, nil)
            try runBackup(from: reader, to: writer, source: source, destination: destination)
            let rc = sqlite3_close_v2(writer)
            guard rc == SQLITE_OK else {
                throw Failure(SQLiteError(.sqlite, "closing the copy \(destination) failed", resultCode: rc))
            }
            return try syncFile(destination)
        } catch {
            sqlite3_close_v2(writer)
            unlink(destination)
            unlink(destination + "-journal")
            throw error
        }
    }

    /// Most attempts at the one backup step while the source is busy (a writer recovering
    /// the WAL, say); each waits the busy timeout first.
    static var maxBackupAttempts: Int { 5 }

    private static func runBackup(from reader: OpaquePointer, to writer: OpaquePointer, source: String, destination: String) throws(Failure) {
        guard let backup = sqlite3_backup_init(writer, "main", reader, "main") else {
            let message = String(cString: sqlite3_errmsg(writer))
            throw Failure(SQLiteError(.sqlite, "cannot start copying \(source) into \(destination): \(message)", resultCode: sqlite3_errcode(writer)))
        }
        var rc = SQLITE_BUSY
        var attempts = 0
        while rc == SQLITE_BUSY || rc == SQLITE_LOCKED, attempts < maxBackupAttempts {
            rc = sqlite3_backup_step(backup, -1)
            attempts += 1
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { usleep(100_000) }
        }
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(writer))
            throw Failure(
                SQLiteError(
                    .sqlite, "copying \(source) into \(destination) failed: \(message); check the disk has space",
                    resultCode: rc == SQLITE_DONE ? finish : rc))
        }
    }

    private static func openRaw(_ path: String, flags: Int32) throws(Failure) -> OpaquePointer {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw Failure(SQLiteError(.sqlite, "cannot open \(path): \(message); check the path and its permissions", resultCode: rc))
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5_000)
        return db
    }

    /// fsyncs `path`; returns its size.
    private static func syncFile(_ path: String) throws(Failure) -> Int64 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw Failure(SQLiteError(.sqlite, "cannot open the copy \(path) to sync it: \(String(cString: strerror(errno)))"))
        }
        defer { closeDescriptor(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw Failure(SQLiteError(.sqlite, "fsync of the copy \(path) failed: \(String(cString: strerror(errno))); check the disk"))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw Failure(SQLiteError(.sqlite, "cannot read the size of the copy \(path): \(String(cString: strerror(errno)))"))
        }
        return Int64(status.st_size)
    }
}

/// `close(2)`, out of reach of `Database.close()` inside the extension.
private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }
