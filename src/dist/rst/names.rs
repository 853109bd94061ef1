//! Names: hyperlink targets, references, substitutions and footnotes, recorded while parsing
//! and resolved afterwards in the order of docutils' transforms (substitutions, anonymous
//! hyperlinks, indirect targets, footnotes, transitions, dangling references).

use std::collections::HashMap;

use super::{Failure, Step};

/// docutils' `normalize_name`: whitespace collapsed, lowercased.
pub(super) fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One name in the document's namespace.
#[derive(Debug)]
struct Target {
    explicit: bool,
    /// `None` once two targets of the same kind share the name (docutils' `dupname`).
    unique: bool,
    refuri: Option<String>,
}

/// Everything the transforms need.
#[derive(Debug, Default)]
pub(crate) struct Names {
    targets: HashMap<String, Target>,
    references: Vec<(String, usize)>,
    indirect: Vec<(String, String, usize)>,
    anonymous_refs: usize,
    anonymous_targets: usize,
    auto_footnote_refs: Vec<usize>,
    auto_footnotes: usize,
    symbol_refs: Vec<usize>,
    symbol_footnotes: usize,
    substitution_defs: Vec<String>,
    substitution_refs: Vec<(String, usize)>,
    /// The first problem of docutils' `misc.Transitions`, found by the body parser.
    pub(super) transitions: Option<Failure>,
    /// Some content was not followed into (e.g. table cells): transforms that count or
    /// resolve names could be wrong, so they say nothing.
    pub(super) blind: bool,
}

impl Names {
    /// A target named by the author: `.. _name:`, an inline `` _`name` ``, a footnote label.
    pub(super) fn explicit_target(
        &mut self,
        name: &str,
        refuri: Option<&str>,
        line: usize,
    ) -> Step {
        match self.targets.get_mut(name) {
            Some(old) if old.explicit => {
                let same = refuri.is_some() && old.refuri.as_deref() == refuri;
                if !same {
                    return Err(Failure::at(
                        line,
                        format!("Duplicate explicit target name: \"{name}\"."),
                    ));
                }
            }
            Some(old) => {
                old.explicit = true;
                old.unique = true;
                old.refuri = refuri.map(str::to_string);
            }
            None => {
                self.targets.insert(
                    name.to_string(),
                    Target {
                        explicit: true,
                        unique: true,
                        refuri: refuri.map(str::to_string),
                    },
                );
            }
        }
        Ok(())
    }

    /// A target docutils makes itself: a section title, an embedded `<uri>`. A duplicate is
    /// only an INFO, but the name can then no longer be referenced.
    pub(super) fn implicit_target(&mut self, name: &str, _line: usize) {
        match self.targets.get_mut(name) {
            Some(old) if !old.explicit => old.unique = false,
            Some(_) => {}
            None => {
                self.targets.insert(
                    name.to_string(),
                    Target {
                        explicit: false,
                        unique: true,
                        refuri: None,
                    },
                );
            }
        }
    }

    pub(super) fn reference(&mut self, name: &str, line: usize) {
        self.references.push((name.to_string(), line));
    }

    pub(super) fn indirect_target(&mut self, name: &str, refname: &str, line: usize) {
        self.indirect
            .push((name.to_string(), refname.to_string(), line));
    }

    pub(super) fn anonymous_ref(&mut self) {
        self.anonymous_refs += 1;
    }

    pub(super) fn anonymous_target(&mut self) {
        self.anonymous_targets += 1;
    }

    /// `[1]_`, `[#]_`, `[#label]_`, `[*]_` or `[citation]_`.
    pub(super) fn footnote_ref(&mut self, label: &str, line: usize) {
        match label {
            "#" => self.auto_footnote_refs.push(line),
            "*" => self.symbol_refs.push(line),
            _ => {
                let name = label.strip_prefix('#').unwrap_or(label);
                self.reference(&normalize(name), line);
            }
        }
    }

    /// `.. [1]`, `.. [#]`, `.. [#label]`, `.. [*]` or `.. [citation]`.
    pub(super) fn footnote(&mut self, label: &str, line: usize) -> Step {
        match label {
            "#" => self.auto_footnotes += 1,
            "*" => self.symbol_footnotes += 1,
            _ => {
                if label.starts_with('#') {
                    self.auto_footnotes += 1;
                }
                let name = label.strip_prefix('#').unwrap_or(label);
                self.explicit_target(&normalize(name), None, line)?;
            }
        }
        Ok(())
    }

    pub(super) fn substitution_def(&mut self, name: &str, line: usize) -> Step {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.substitution_defs.contains(&name) {
            return Err(Failure::at(
                line,
                format!("Duplicate substitution definition name: \"{name}\"."),
            ));
        }
        self.substitution_defs.push(name);
        Ok(())
    }

    pub(super) fn substitution_ref(&mut self, name: &str, line: usize) {
        self.substitution_refs.push((name.to_string(), line));
    }

    /// The transforms, in docutils' priority order; the first problem halts.
    pub(super) fn resolve(&mut self) -> Step {
        // Substitutions (priority 220): exact name first, then case-insensitively.
        for (name, line) in &self.substitution_refs {
            let exact = name.split_whitespace().collect::<Vec<_>>().join(" ");
            let known = self.substitution_defs.contains(&exact)
                || self
                    .substitution_defs
                    .iter()
                    .any(|d| normalize(d) == normalize(&exact));
            if !known && !self.blind {
                return Err(Failure::at(
                    *line,
                    format!("Undefined substitution referenced: \"{name}\"."),
                ));
            }
        }
        if self.blind {
            return self.transitions.take().map_or(Ok(()), Err);
        }
        // AnonymousHyperlinks (440).
        if self.anonymous_refs != self.anonymous_targets {
            return Err(Failure {
                line: None,
                message: format!(
                    "Anonymous hyperlink mismatch: {} references but {} targets.",
                    self.anonymous_refs, self.anonymous_targets
                ),
            });
        }
        // IndirectHyperlinks (460).
        for (name, refname, line) in &self.indirect {
            if !self.targets.contains_key(refname) {
                return Err(Failure::at(
                    *line,
                    format!(
                        "Indirect hyperlink target \"{name}\" (id=\"user-content-{}\") refers to target \"{refname}\", which does not exist.",
                        name.replace(' ', "-")
                    ),
                ));
            }
        }
        // Footnotes (620).
        if let Some(line) = self.auto_footnote_refs.get(self.auto_footnotes) {
            let n = self.auto_footnotes;
            return Err(Failure::at(
                *line,
                format!(
                    "Too many autonumbered footnote references: only {n} corresponding footnote{} available.",
                    if n == 1 || n == 0 { "" } else { "s" }
                ),
            ));
        }
        if let Some(line) = self.symbol_refs.get(self.symbol_footnotes) {
            return Err(Failure::at(
                *line,
                format!(
                    "Too many symbol footnote references: only {} corresponding symbol footnotes available.",
                    self.symbol_footnotes
                ),
            ));
        }
        // Transitions (830).
        if let Some(failure) = self.transitions.take() {
            return Err(failure);
        }
        // DanglingReferences (850).
        for (name, line) in &self.references {
            match self.targets.get(name) {
                Some(t) if t.unique => {}
                Some(_) => {
                    return Err(Failure::at(
                        *line,
                        format!(
                            "Duplicate target name, cannot be used as a unique reference: \"{name}\"."
                        ),
                    ));
                }
                None => {
                    return Err(Failure::at(
                        *line,
                        format!("Unknown target name: \"{name}\"."),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names() {
        let mut names = Names::default();
        names.explicit_target("a", Some("http://x"), 1).unwrap();
        assert!(names.explicit_target("a", Some("http://x"), 2).is_ok());
        assert_eq!(
            names
                .explicit_target("a", Some("http://y"), 3)
                .unwrap_err()
                .line,
            Some(3)
        );
        names.implicit_target("t", 4);
        names.implicit_target("t", 5);
        names.reference("t", 6);
        assert!(
            names
                .resolve()
                .unwrap_err()
                .message
                .starts_with("Duplicate target name")
        );
    }

    #[test]
    fn normalizes_like_docutils() {
        assert_eq!(normalize("  Foo\n  Bar "), "foo bar");
    }
}
