//! A kernel's connection to its clients, as channels of decoded messages: what arrives on
//! the shell and control sockets, and what goes back on them and on iopub. The sockets fill
//! and drain it (verifying and signing on the way); tests hold the other ends themselves,
//! so a whole kernel runs in-process.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::wire::Message;

pub struct Connection {
    /// Verified requests from the shell socket, in the order they arrived.
    pub shell: UnboundedReceiver<Message>,
    /// Verified requests from the control socket.
    pub control: UnboundedReceiver<Message>,
    /// Replies to shell requests.
    pub shell_replies: UnboundedSender<Message>,
    /// Replies to control requests.
    pub control_replies: UnboundedSender<Message>,
    /// Messages for every client, on iopub.
    pub iopub: UnboundedSender<Message>,
}
