import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files and folders only the server's own user can read: the database, the secret and the
/// tile cache are created 0600 in folders 0700 whatever the process's umask (issue #10), so
/// another account on the machine learns nothing from them.
enum PrivateFiles {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var problem: String
        var description: String { "\(path) \(problem)" }
    }

    /// Creates the folder and any missing parents as 0700, and makes the folder itself 0700
    /// if it already existed. Parents that existed are left as they are.
    static func makeDirectory(_ path: String) throws {
        let manager = FileManager.default
        var missing: [String] = []
        var current = path
        while !current.isEmpty && current != "/" && !manager.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw Failure(path: folder, problem: "could not be created (errno \(errno))")
            }
        }
        guard chmod(path, 0o700) == 0 else { throw Failure(path: path, problem: "could not be made private") }
    }

    /// Writes `data` to `path` atomically through a new file created 0600.
    static func write(_ data: Data, to path: String, sync: Bool = false) throws {
        let temporary = path + ".tmp-" + UUID().uuidString
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(path: path, problem: "could not be created (errno \(errno))") }
        var written = fchmod(descriptor, 0o600) == 0
        if written {
            written = data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let count = posixWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { return false }
                    offset += count
                }
                return true
            }
        }
        if written && sync { written = fsync(descriptor) == 0 }
        close(descriptor)
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(path: path, problem: "could not be written")
        }
    }

    /// Makes sure the SQLite database file exists as 0600 before SQLite opens it; SQLite then
    /// creates its -wal and -shm files with the same mode. Existing files are made 0600 too.
    static func prepareDatabaseFile(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw Failure(path: path, problem: "could not be created (errno \(errno))") }
            close(descriptor)
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            guard chmod(file, 0o600) == 0 else { throw Failure(path: file, problem: "could not be made private") }
        }
    }
}

/// The C library's `write`, which the method above shadows.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}
