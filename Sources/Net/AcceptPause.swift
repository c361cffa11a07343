import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// On the listening socket: when accepting fails because the process or the system is out of descriptors
/// (EMFILE, ENFILE), stops accepting for `pause` and then tries again. Without it the listening socket stays
/// readable, the event loop wakes at once to fail again, and a core spins (NIO's own `AcceptBackoffHandler`
/// delays the next read request but leaves the socket registered for readability).
final class AcceptPause: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let pause: TimeAmount
    private var paused = false

    init(pause: TimeAmount = .milliseconds(100)) { self.pause = pause }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, error.errnoCode == EMFILE || error.errnoCode == ENFILE else {
            context.fireErrorCaught(error)
            return
        }
        guard !paused else { return }
        paused = true
        let channel = context.channel
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // On the event loop, the option is set at once: the socket stops being watched before this returns.
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: loopBound.value.pause) {
                loopBound.value.paused = false
                channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            }
        }
    }
}
