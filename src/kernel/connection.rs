//! A kernel's connection to its clients, as channels of decoded messages: what arrives on
//! the shell and control sockets, and what goes back on them and on iopub. The sockets fill
//! and drain it (verifying and signing on the way); tests hold the other ends themselves,
//! so a whole kernel runs in-process.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::wire::Message;

pub(crate) struct Connection {
    /// Verified requests from the shell socket, in the order they arrived.
    pub(crate) shell: UnboundedReceiver<Message>,
    /// Verified requests from the control socket.
    pub(crate) control: UnboundedReceiver<Message>,
    /// Replies to shell requests.
    pub(crate) shell_replies: UnboundedSender<Message>,
    /// Replies to control requests.
    pub(crate) control_replies: UnboundedSender<Message>,
    /// Messages for every client, on iopub.
    pub(crate) iopub: UnboundedSender<Message>,
}
