//! Jupyter messages on the wire: the multipart frames, their HMAC-SHA256 signature, and
//! decoding that never trusts its input. A message whose signature does not verify (checked
//! in constant time) is rejected before any of its content is looked at.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use jupyter_protocol::Header;
use serde_json::{Value, json};
use sha2::Sha256;

pub(crate) const DELIMITER: &[u8] = b"<IDS|MSG>";
pub(crate) const PROTOCOL_VERSION: &str = "5.3";

/// Why incoming frames were not accepted. None of these carry the frames' content.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum WireError {
    #[error("no <IDS|MSG> delimiter")]
    NoDelimiter,
    #[error("fewer than the five frames a message needs after the delimiter")]
    TooFewFrames,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the {0} frame is not valid JSON of the right shape")]
    BadJson(&'static str),
}

/// Signs and verifies messages with the connection file's key.
#[derive(Clone)]
pub(crate) struct Signer {
    /// `None` when the key is empty: the protocol then sends empty signatures.
    mac: Option<Hmac<Sha256>>,
}

impl Signer {
    pub(crate) fn new(key: &str) -> Signer {
        let mac = (!key.is_empty()).then(|| {
            // HMAC accepts keys of any length, so this cannot fail.
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!())
        });
        Signer { mac }
    }

    fn keyed(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        let mut mac = self.mac.clone()?;
        for p in parts {
            mac.update(p);
        }
        Some(mac)
    }

    pub(crate) fn sign(&self, parts: &[&[u8]]) -> String {
        self.keyed(parts)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// Constant-time comparison of `signature` (hex) with the expected one.
    pub(crate) fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        match self.keyed(parts) {
            None => signature.is_empty(),
            Some(mac) => match hex::decode(signature) {
                Ok(bytes) => mac.verify_slice(&bytes).is_ok(),
                Err(_) => false,
            },
        }
    }
}

/// A decoded Jupyter message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// ZeroMQ routing identities (or the topic, on iopub).
    pub(crate) ids: Vec<Bytes>,
    pub(crate) header: Header,
    pub(crate) parent_header: Value,
    pub(crate) metadata: Value,
    pub(crate) content: Value,
    pub(crate) buffers: Vec<Bytes>,
}

impl Message {
    /// A new message from the kernel's session, answering `parent` (or `None` for none).
    pub(crate) fn new(session: &str, msg_type: &str, content: Value, parent: Option<&Message>) -> Message {
        Message {
            ids: parent.map(|p| p.ids.clone()).unwrap_or_default(),
            header: Header {
                msg_id: uuid::Uuid::new_v4().to_string(),
                username: "kernel".into(),
                session: session.to_string(),
                date: chrono::Utc::now(),
                msg_type: msg_type.to_string(),
                version: PROTOCOL_VERSION.into(),
            },
            parent_header: parent.map_or_else(|| json!({}), |p| serde_json::to_value(&p.header).unwrap_or(json!({}))),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }

    pub(crate) fn msg_type(&self) -> &str {
        &self.header.msg_type
    }

    /// Decodes and verifies frames received from a socket.
    pub(crate) fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Message, WireError> {
        let split = frames
            .iter()
            .position(|f| f.as_ref() == DELIMITER)
            .ok_or(WireError::NoDelimiter)?;
        let mut frames = frames.into_iter();
        let ids: Vec<Bytes> = frames.by_ref().take(split).collect();
        let _delimiter = frames.next();
        let (Some(signature), Some(header), Some(parent), Some(metadata), Some(content)) = (
            frames.next(),
            frames.next(),
            frames.next(),
            frames.next(),
            frames.next(),
        ) else {
            return Err(WireError::TooFewFrames);
        };
        if !signer.verify(&signature, &[&header, &parent, &metadata, &content]) {
            return Err(WireError::BadSignature);
        }
        let header: Header = serde_json::from_slice(&header).map_err(|_| WireError::BadJson("header"))?;
        let object = |bytes: &[u8], name| match serde_json::from_slice::<Value>(bytes) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(WireError::BadJson(name)),
        };
        Ok(Message {
            ids,
            header,
            parent_header: object(&parent, "parent_header")?,
            metadata: object(&metadata, "metadata")?,
            content: object(&content, "content")?,
            buffers: frames.collect(),
        })
    }

    /// Encodes and signs the message for sending.
    pub(crate) fn encode(&self, signer: &Signer) -> Vec<Bytes> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let parent = serde_json::to_vec(&self.parent_header).unwrap_or_default();
        let metadata = serde_json::to_vec(&self.metadata).unwrap_or_default();
        let content = serde_json::to_vec(&self.content).unwrap_or_default();
        let signature = signer.sign(&[&header, &parent, &metadata, &content]);
        let mut frames = self.ids.clone();
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(Bytes::from(signature));
        frames.extend([header, parent, metadata, content].map(Bytes::from));
        frames.extend(self.buffers.iter().cloned());
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(signer: &Signer) -> Vec<Bytes> {
        let mut m = Message::new("s", "kernel_info_request", json!({}), None);
        m.ids = vec![Bytes::from_static(b"client-id")];
        m.encode(signer)
    }

    #[test]
    fn a_signed_message_round_trips() {
        let signer = Signer::new("secret-key");
        let decoded = Message::decode(request(&signer), &signer).unwrap();
        assert_eq!(decoded.msg_type(), "kernel_info_request");
        assert_eq!(decoded.ids, vec![Bytes::from_static(b"client-id")]);
        assert_eq!(decoded.header.version, "5.3");
    }

    #[test]
    fn a_wrong_key_or_altered_content_is_rejected() {
        let frames = request(&Signer::new("other-key"));
        assert_eq!(
            Message::decode(frames, &Signer::new("secret-key")).unwrap_err(),
            WireError::BadSignature
        );

        let signer = Signer::new("secret-key");
        let mut frames = request(&signer);
        let last = frames.len() - 1;
        frames[last] = Bytes::from_static(br#"{"code": "DROP TABLE t"}"#);
        assert_eq!(Message::decode(frames, &signer).unwrap_err(), WireError::BadSignature);

        let mut frames = request(&signer);
        frames[2] = Bytes::from_static(b"not-hex");
        assert_eq!(Message::decode(frames, &signer).unwrap_err(), WireError::BadSignature);
    }

    #[test]
    fn an_empty_key_means_empty_signatures() {
        let signer = Signer::new("");
        assert!(Message::decode(request(&signer), &signer).is_ok());
        let mut frames = request(&signer);
        frames[2] = Bytes::from_static(b"abcd");
        assert_eq!(Message::decode(frames, &signer).unwrap_err(), WireError::BadSignature);
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let signer = Signer::new("k");
        assert_eq!(Message::decode(vec![], &signer).unwrap_err(), WireError::NoDelimiter);
        assert_eq!(
            Message::decode(
                vec![Bytes::from_static(b"garbage"), Bytes::from_static(b"\xff\x00")],
                &signer
            )
            .unwrap_err(),
            WireError::NoDelimiter
        );
        let short = vec![Bytes::from_static(DELIMITER), Bytes::from_static(b"sig")];
        assert_eq!(Message::decode(short, &signer).unwrap_err(), WireError::TooFewFrames);

        // Correctly signed, but the header is not JSON.
        let parts: [&[u8]; 4] = [b"{not json", b"{}", b"{}", b"{}"];
        let mut frames = vec![Bytes::from_static(DELIMITER), Bytes::from(signer.sign(&parts))];
        frames.extend(parts.map(Bytes::from_static));
        assert_eq!(
            Message::decode(frames, &signer).unwrap_err(),
            WireError::BadJson("header")
        );
    }
}
