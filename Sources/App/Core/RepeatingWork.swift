import Vapor

extension Application {
    private struct RepeatingWorkKey: StorageKey { typealias Value = [Task<Void, Never>] }

    /// Runs `work` again and again while this process serves, `interval` apart (the first time
    /// after `delay`), and stops it when the application shuts down.
    func repeatWhileRunning(
        every interval: Duration, firstAfter delay: Duration = .zero, _ work: @escaping @Sendable () async -> Void
    ) {
        let task = Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            while !Task.isCancelled {
                await work()
                try? await Task.sleep(for: interval)
            }
        }
        storage.set(RepeatingWorkKey.self, to: (storage[RepeatingWorkKey.self] ?? []) + [task]) { tasks in
            for task in tasks { task.cancel() }
        }
    }
}
