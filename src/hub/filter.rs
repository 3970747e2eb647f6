//! Which events a listener wants: every event, or only some topics, and
//! then perhaps the public events (those published without a topic) too.
//!
//! Without `--auth-hook`, `?topic=a` means exactly topic `a`, and no topic
//! means everything. With it, events without a topic are public and go to
//! everyone who passed the hook, whatever topics they asked for; the
//! topics are those asked for, or all the hook allows.

/// A listener's choice of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFilter {
    /// The topics wanted, unless `all`.
    pub topics: Vec<String>,
    /// Every event, topic or not.
    pub all: bool,
    /// Events without a topic, besides `topics`.
    pub public: bool,
}

impl TopicFilter {
    /// Every event.
    pub fn everything() -> TopicFilter {
        TopicFilter {
            topics: Vec::new(),
            all: true,
            public: true,
        }
    }

    /// What `?topic=` asks for without the hook: those topics only, or
    /// everything when none is named.
    pub fn asked(topics: Vec<String>) -> TopicFilter {
        if topics.is_empty() {
            return TopicFilter::everything();
        }
        TopicFilter {
            topics,
            all: false,
            public: false,
        }
    }

    /// `topics` and the public events (with the hook).
    pub fn with_public(topics: Vec<String>) -> TopicFilter {
        TopicFilter {
            topics,
            all: false,
            public: true,
        }
    }

    /// Whether an event with `topic` is wanted.
    pub fn wants(&self, topic: Option<&str>) -> bool {
        wants(&self.topics, self.all, self.public, topic)
    }
}

/// The rule, for the listener, which keeps the parts in its own fields.
pub fn wants<S: AsRef<str>>(topics: &[S], all: bool, public: bool, topic: Option<&str>) -> bool {
    match topic {
        _ if all => true,
        None => public,
        Some(topic) => topics.iter().any(|want| want.as_ref() == topic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_kinds() {
        let everything = TopicFilter::asked(Vec::new());
        assert!(everything.wants(None) && everything.wants(Some("x")));
        let only = TopicFilter::asked(vec!["a".into()]);
        assert!(only.wants(Some("a")) && !only.wants(Some("b")) && !only.wants(None));
        let private = TopicFilter::with_public(vec!["a".into()]);
        assert!(private.wants(Some("a")) && !private.wants(Some("b")) && private.wants(None));
        let public_only = TopicFilter::with_public(Vec::new());
        assert!(public_only.wants(None) && !public_only.wants(Some("a")));
    }
}
