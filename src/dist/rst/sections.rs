//! Sections and transitions: title adornments (underlined, or over- and underlined), the
//! consistency of title levels, and docutils' `misc.Transitions` transform, which checks where
//! transitions stand once the whole document is parsed.

use super::body::{Document, is_line, text};
use super::inline;
use super::lines::{Line, column_width};
use super::names::normalize;
use super::{Failure, Step};

/// One child of the document or of a section, as the transitions check sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Top {
    /// A section title, at its level (1 = top).
    Title(usize),
    /// A transition, inside a section of this level (0 = the document).
    Transition(usize, usize),
    /// Any other element.
    Element,
    /// Targets and substitution definitions, which docutils ignores around transitions.
    Ignored,
}

/// A line of punctuation at the start of a block: a transition or a title overline.
pub(super) fn line_start(
    doc: &mut Document,
    lines: &[Line],
    i: usize,
    titles: bool,
) -> Step<usize> {
    let over = lines[i].text.as_str();
    let short = over.chars().count() < 4;
    if !titles {
        if over == "::" || short {
            return text(doc, lines, i, titles);
        }
        return Err(Failure::at(
            lines[i].no,
            "Unexpected section title or transition.",
        ));
    }
    let Some(next) = lines.get(i + 1).filter(|l| !l.is_blank()) else {
        if short {
            return text(doc, lines, i, titles);
        }
        doc.top.pop();
        doc.top
            .push(Top::Transition(lines[i].no, doc.section_level));
        return Ok(i + 1);
    };
    if !next.is_indented() && is_line(&next.text) {
        if short {
            return text(doc, lines, i, titles);
        }
        return Err(Failure::at(
            lines[i].no,
            "Invalid section title or transition marker.",
        ));
    }
    match overline_problem(lines, i) {
        // A short overline makes docutils re-read the lines as ordinary text.
        Some(_) if short => text(doc, lines, i, titles),
        Some(message) => Err(Failure::at(lines[i].no, message)),
        None => {
            let style = format!("{}{}", &over[..1], &lines[i + 2].text[..1]);
            doc.section(next.text.trim_start(), style, next.no)?;
            Ok(i + 3)
        }
    }
}

/// What is wrong with the over- and underlined title starting at `lines[i]`, if anything.
fn overline_problem(lines: &[Line], i: usize) -> Option<&'static str> {
    let (over, title) = (&lines[i].text, &lines[i + 1].text);
    let Some(under) = lines.get(i + 2) else {
        return Some("Incomplete section title.");
    };
    if !is_line(&under.text) {
        return Some("Missing matching underline for section title overline.");
    }
    if under.text != *over {
        return Some("Title overline & underline mismatch.");
    }
    if column_width(title) > over.chars().count() {
        return Some("Title overline too short.");
    }
    None
}

impl Document {
    /// docutils' `check_subsection` and `new_subsection`.
    pub(super) fn section(&mut self, title: &str, style: String, line: usize) -> Step {
        let old = self.section_level;
        let new = match self.title_styles.iter().position(|s| *s == style) {
            Some(p) => p + 1,
            None => self.title_styles.len() + 1,
        };
        if new > old + 1 {
            return Err(Failure::at(
                line,
                format!("Inconsistent title style: skip from level {old} to {new}."),
            ));
        }
        if new > self.title_styles.len() {
            self.title_styles.push(style);
        }
        self.top.push(Top::Title(new));
        self.renders_something = true;
        let plain = inline::parse(self, title, line)?;
        self.names.implicit_target(&normalize(&plain), line);
        self.section_level = new;
        Ok(())
    }

    /// Marks the construct just parsed at the top level as invisible to the transitions check.
    pub(super) fn ignore_last(&mut self) {
        if let Some(last) = self.top.last_mut() {
            *last = Top::Ignored;
        }
    }

    /// docutils' `misc.Transitions` transform (after parsing): a transition may not begin a
    /// section or the document, follow another transition, or end the document (at the end
    /// of a section it moves after the section, when anything follows).
    pub(super) fn check_transitions(&mut self) -> Step {
        let top = std::mem::take(&mut self.top);
        for (k, item) in top.iter().enumerate() {
            let Top::Transition(line, level) = *item else {
                continue;
            };
            let at_end = top[k + 1..].iter().all(|t| *t == Top::Ignored);
            let mut begins = true;
            for before in top[..k].iter().rev() {
                match before {
                    Top::Ignored => {}
                    Top::Title(l) if *l <= level => break,
                    _ => {
                        begins = false;
                        break;
                    }
                }
            }
            let message = if at_end {
                "Transition at the end of the document."
            } else if begins && level == 0 {
                "Transition at the start of the document."
            } else if begins {
                "Transition at the start of the section."
            } else if k > 0 && matches!(top[k - 1], Top::Transition(..)) {
                "At least one body element should separate transitions."
            } else {
                continue;
            };
            self.names.transitions = Some(Failure::at(line, message));
            break;
        }
        Ok(())
    }
}
