/// A pointer handed to the other thread of a `concurrentPerform` split. The two threads touch
/// disjoint row ranges, which is what makes the unchecked sendability sound.
struct UncheckedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
