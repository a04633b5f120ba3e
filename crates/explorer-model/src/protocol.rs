//! The messages between the page and the engine's worker. A [`Command`] or a batch of
//! [`Update`]s crosses as postcard bytes (compact, typed, no JSON); the bulk bytes of a command
//! (opened files, response bodies) are taken out first and travel beside it as transferable
//! buffers, so they are never copied, decoded or parsed on the page's thread.
//!
//! Opened files do not even cross as bytes: [`Command::OpenFiles`] carries the first `File`
//! handles after its head ([`Command::MoreFiles`] the rest, a batch per task), and the worker reads them itself as [`crate::FileReads`] plans (in order, only as
//! far ahead of parsing as [`crate::Engine::load_bytes_wanted`] allows). The page's thread
//! never reads a file, so a page busy drawing frames never holds a load back.

use serde::{Deserialize, Serialize};

use crate::engine::{Command, Update};

/// Bumped whenever a message changes shape. The worker's files are not content-hashed (Trunk
/// names them after the binary), so a page may meet a worker of another release: the worker
/// says its version first, and the page refuses one that differs.
pub const PROTOCOL_VERSION: u32 = 5;

/// What the worker says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Listening; sent once, first.
    Ready {
        version: u32,
    },
    Updates(Vec<Update>),
}

/// Encodes a message. Postcard cannot fail on these types (no maps with non-string keys, no
/// unsized data); an error would be a bug, reported as such.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_allocvec(message).unwrap_or_default()
}

/// Decodes a message; `None` for bytes that are not one (a stale worker, a bug).
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

impl Command {
    /// Takes the command's bulk bytes out, in a fixed order, leaving empty ones in place.
    pub fn take_bodies(&mut self) -> Vec<Vec<u8>> {
        self.bodies_mut().into_iter().map(std::mem::take).collect()
    }

    /// Puts bulk bytes back, in the order [`Command::take_bodies`] took them; false when the
    /// number does not match (the message was not whole).
    pub fn put_bodies(&mut self, bodies: Vec<Vec<u8>>) -> bool {
        let mut slots = self.bodies_mut();
        if slots.len() != bodies.len() {
            return false;
        }
        for (slot, body) in slots.iter_mut().zip(bodies) {
            **slot = body;
        }
        true
    }

    /// How many bulk byte buffers travel beside this command.
    pub fn body_count(&mut self) -> usize {
        self.bodies_mut().len()
    }

    /// Whether this command starts, replaces or stops the bulk load: files still being read for
    /// an earlier load are not wanted any more.
    pub fn replaces_load(&self) -> bool {
        matches!(
            self,
            Command::LoadDemo
                | Command::OpenFiles { .. }
                | Command::Load { .. }
                | Command::CancelLoad
                | Command::BeginLive { .. }
                | Command::Restore { .. }
        )
    }

    fn bodies_mut(&mut self) -> Vec<&mut Vec<u8>> {
        match self {
            Command::Load { pages, .. } | Command::LoadMore { pages, .. } => {
                pages.iter_mut().map(|p| &mut p.bytes).collect()
            }
            Command::Read { answer, .. } => vec![&mut answer.body],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Answer, Page, Purpose, SourceKind, ViewState, Zone};

    #[test]
    fn commands_cross_with_their_bodies_beside_them() {
        let mut load = Command::Load {
            source: SourceKind::Files,
            label: "2 files".into(),
            following: 0,
            pages: vec![
                Page::new("a.json", b"{\"data\":[]}".to_vec()),
                Page::new("b.json", vec![1, 2, 3]),
            ],
        };
        let original = load.clone();
        let bodies = load.take_bodies();
        assert_eq!(bodies, [b"{\"data\":[]}".to_vec(), vec![1, 2, 3]]);
        let head = encode(&load);
        assert!(head.len() < 40, "the head is small: {} bytes", head.len());
        let mut back: Command = decode(&head).unwrap();
        assert!(back.put_bodies(bodies));
        assert_eq!(back, original);
        let mut read = Command::Read {
            request: 7,
            purpose: Purpose::Lookup,
            answer: Answer {
                status: 200,
                headers: vec![("Retry-After".into(), "3".into())],
                body: b"{}".to_vec(),
            },
        };
        assert_eq!(read.body_count(), 1);
        assert!(!read.put_bodies(Vec::new()), "a body missing is refused");
        let mut more = Command::LoadMore {
            pages: vec![Page::new("c.json", b"[]".to_vec())],
            unreadable: vec!["d.json".into()],
        };
        let original = more.clone();
        let bodies = more.take_bodies();
        assert_eq!(bodies, [b"[]".to_vec()]);
        let mut back: Command = decode(&encode(&more)).unwrap();
        assert!(back.put_bodies(bodies));
        assert_eq!(back, original);
    }

    #[test]
    fn views_and_updates_round_trip() {
        let view = Command::SetView(ViewState {
            query: "राम -".into(),
            zone: Zone::Named("Asia/Kolkata".into()),
            from: Some(-1),
            ..ViewState::default()
        });
        assert_eq!(decode::<Command>(&encode(&view)), Some(view));
        let open = Command::OpenFiles {
            label: "पृष्ठ-1.json".into(),
            files: 1000,
        };
        assert_eq!(decode::<Command>(&encode(&open)), Some(open));
        assert_eq!(
            decode::<Command>(&encode(&Command::MoreFiles)),
            Some(Command::MoreFiles)
        );
        let ready = FromWorker::Ready {
            version: PROTOCOL_VERSION,
        };
        assert_eq!(decode::<FromWorker>(&encode(&ready)), Some(ready));
        assert_eq!(decode::<FromWorker>(b"\xff\xff\xff"), None);
    }
}
