//! What to do when one try of a statement failed, decided from the error and what the tries
//! got done so far, with no session in sight: wait for a server that went away, go on in a
//! new session when the server lost it, tell a change in flight as of unknown outcome
//! (never run it again), or give up with the error.

use std::time::Duration;

use crate::spark::SparkError;

/// How long a statement waits for a server that went away (a restart takes seconds) before
/// the cell fails; the pause between tries doubles from the first to the longest.
const RECONNECT_WAIT: Duration = Duration::from_secs(30);
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(4);

/// What the tries of one statement have used up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tries {
    waited: Duration,
    pause: Duration,
    renewed: bool,
}

impl Default for Tries {
    fn default() -> Self {
        Tries {
            waited: Duration::ZERO,
            pause: FIRST_PAUSE,
            renewed: false,
        }
    }
}

/// The next step after a failed try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// The server is down or restarting: try again after this pause.
    Wait(Duration),
    /// The server lost the session: go on in a new one, then tell the outcome unknown if
    /// the statement was in doubt, else try again (a completed command only fetches again).
    Renew { then_unknown: bool },
    /// A change reached the server and its outcome was lost with it: say so, do not rerun.
    Unknown,
    /// The error is the statement's.
    Fail,
}

impl Tries {
    /// Notes that the tries waited `pause`; the next pause doubles, within a bound.
    pub(crate) fn waited(&mut self, pause: Duration) {
        self.waited += pause;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
    }

    /// Notes that the session was renewed (once per statement).
    pub(crate) fn renewed(&mut self) {
        self.renewed = true;
    }
}

/// Decides what follows a try that failed with `error`. `in_doubt`: a change reached the
/// server and its outcome is not known; `interrupted`: the user interrupted the cell.
pub(crate) fn next(error: &SparkError, tries: &Tries, in_doubt: bool, interrupted: bool) -> Next {
    if error.is_unavailable() && tries.waited < RECONNECT_WAIT {
        return Next::Wait(tries.pause);
    }
    if error.is_session_lost() && !tries.renewed {
        return Next::Renew { then_unknown: in_doubt };
    }
    // A cancellation nobody asked for (the server went down mid-statement) is no outcome either.
    let unasked_cancel = matches!(error, SparkError::Cancelled) && !interrupted;
    if in_doubt && (error.leaves_outcome_open() || unasked_cancel) {
        return Next::Unknown;
    }
    Next::Fail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{session_lost, table_not_found, unavailable};

    #[test]
    fn an_unreachable_server_is_waited_for_with_doubling_pauses_up_to_a_bound() {
        let mut tries = Tries::default();
        let mut pauses = Vec::new();
        while let Next::Wait(pause) = next(&unavailable(), &tries, false, false) {
            pauses.push(pause.as_millis());
            tries.waited(pause);
        }
        assert_eq!(pauses[..5], [500, 1000, 2000, 4000, 4000]);
        let total: u128 = pauses.iter().sum();
        assert!(total >= RECONNECT_WAIT.as_millis(), "{pauses:?}");
        assert_eq!(next(&unavailable(), &tries, false, false), Next::Fail);
        assert_eq!(next(&unavailable(), &tries, true, false), Next::Unknown);
    }

    #[test]
    fn a_lost_session_is_renewed_once_and_a_change_in_doubt_is_then_unknown() {
        let mut tries = Tries::default();
        assert_eq!(
            next(&session_lost(), &tries, false, false),
            Next::Renew { then_unknown: false }
        );
        assert_eq!(
            next(&session_lost(), &tries, true, false),
            Next::Renew { then_unknown: true }
        );
        tries.renewed();
        assert_eq!(next(&session_lost(), &tries, false, false), Next::Fail);
    }

    #[test]
    fn a_cancel_nobody_asked_for_leaves_a_change_in_doubt_but_an_interrupt_does_not() {
        let tries = Tries::default();
        assert_eq!(next(&SparkError::Cancelled, &tries, true, false), Next::Unknown);
        assert_eq!(next(&SparkError::Cancelled, &tries, true, true), Next::Fail);
        assert_eq!(next(&SparkError::Cancelled, &tries, false, false), Next::Fail);
        assert_eq!(next(&table_not_found(), &tries, true, false), Next::Fail);
    }
}
