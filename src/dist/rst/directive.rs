//! A directive block: `.. name:: arguments`, its `:option:` field list and its content,
//! read as docutils' `parse_directive_block` reads them, then what the directive itself
//! checks when it runs (disabled `raw`/`include`, required content, `image` alignment,
//! `list-table` rows) and its content parsed as body elements or inline text.

use super::body::{Document, parse};
use super::directives::{self, Content, Spec};
use super::explicit::reference_name;
use super::lines::{self, First, Line};
use super::names::normalize;
use super::{Failure, Step, inline, lists};

/// A directive block: arguments, options and content, then what the directive checks.
pub(super) fn directive(
    doc: &mut Document,
    lines: &[Line],
    k: usize,
    name: &str,
    marker: usize,
    in_substitution: bool,
) -> Step<(usize, bool)> {
    let line = lines[k].no;
    let block = lines::indented(lines, k, First::Known(marker), false);
    let done = (block.end, block.blank_finish);
    let Some(spec) = directives::spec(name) else {
        return Err(Failure::at(
            line,
            format!("Unknown directive type \"{name}\"."),
        ));
    };
    let error = || Failure::at(line, format!("Error in \"{name}\" directive:"));
    let mut body: Vec<Line> = block.lines;
    if body.first().is_some_and(Line::is_blank) {
        body.remove(0);
    }
    let takes_args = spec.required + spec.optional > 0;
    let (mut args, mut content) = if !body.is_empty() && (takes_args || !spec.options.is_empty()) {
        let split = body.iter().position(Line::is_blank).unwrap_or(body.len());
        let content = body
            .get(split + 1..)
            .map(<[Line]>::to_vec)
            .unwrap_or_default();
        (body[..split].to_vec(), content)
    } else {
        (Vec::new(), body.clone())
    };
    let mut options: Vec<(String, String)> = Vec::new();
    if !spec.options.is_empty()
        && let Some(first) = args
            .iter()
            .position(|l| lists::field_marker(&l.text).is_some())
    {
        options = parse_options(&args[first..], spec).ok_or_else(error)?;
        args.truncate(first);
    }
    if !args.is_empty() && !takes_args {
        let split = body.iter().position(Line::is_blank).unwrap_or(body.len());
        content = args.clone();
        content.extend(body[split..].iter().cloned());
        args.clear();
    }
    while content.first().is_some_and(Line::is_blank) {
        content.remove(0);
    }
    let arg_text: Vec<&str> = args.iter().map(|l| l.text.as_str()).collect();
    let arg_count = arg_text.join("\n").split_whitespace().count();
    if takes_args
        && (arg_count < spec.required
            || (arg_count > spec.required + spec.optional && !spec.final_whitespace))
    {
        return Err(error());
    }
    if !content.is_empty() && !spec.has_content {
        return Err(error());
    }
    run(
        doc,
        spec,
        name,
        line,
        &arg_text.join(" "),
        &options,
        &content,
        in_substitution,
    )?;
    Ok(done)
}

/// The option block: a field list whose names the directive knows.
fn parse_options(block: &[Line], spec: &Spec) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in block {
        if let Some((name, end)) = lists::field_marker(&l.text) {
            let name = name.to_lowercase();
            if !spec.options.contains(&name.as_str()) || out.iter().any(|(n, _)| *n == name) {
                return None;
            }
            out.push((name, l.text[end..].trim().to_string()));
        } else if l.is_indented() {
            let last = out.last_mut()?;
            last.1.push(' ');
            last.1.push_str(l.text.trim());
        } else if !l.is_blank() {
            return None;
        }
    }
    Some(out)
}

/// What the directive's `run` checks, and its content parsed as docutils parses it.
#[allow(clippy::too_many_arguments)]
fn run(
    doc: &mut Document,
    spec: &Spec,
    name: &str,
    line: usize,
    argument: &str,
    options: &[(String, String)],
    content: &[Line],
    in_substitution: bool,
) -> Step {
    let option = |key: &str| {
        options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match spec.name {
        "raw" | "include" => {
            return Err(Failure::at(line, format!("\"{name}\" directive disabled.")));
        }
        "replace" | "unicode" | "date" if !in_substitution => {
            return Err(Failure::at(
                line,
                format!(
                    "Invalid context: the \"{name}\" directive can only be used within a substitution definition."
                ),
            ));
        }
        "replace" if content.is_empty() => return Err(content_expected(line, name)),
        "replace" => {
            let text: Vec<&str> = content.iter().map(|l| l.text.as_str()).collect();
            inline::parse(doc, &text.join("\n"), content[0].no)?;
        }
        "image" | "figure" => image(
            doc,
            spec,
            name,
            line,
            option("align"),
            option("target"),
            in_substitution,
        )?,
        "role" => {
            // `.. role:: name(base)`: the role has no arguments, its name is the content.
            let first = content.first().map_or("", |l| l.text.as_str());
            let role = first.split(['(', ' ']).next().unwrap_or("").to_lowercase();
            doc.custom_roles.push(role);
            return Ok(());
        }
        "csv-table" if option("file").is_some() || option("url").is_some() => {
            return Err(Failure::at(line, format!("\"{name}\" directive disabled.")));
        }
        "csv-table" if content.is_empty() => {
            return Err(Failure::at(
                line,
                format!("The \"{name}\" directive requires content; none supplied."),
            ));
        }
        "csv-table" => doc.names.blind = true,
        _ => {}
    }
    // Inside a substitution definition a directive shows only where the substitution is used.
    // A table of contents without sections is dropped.
    if !in_substitution && !matches!(spec.name, "role" | "default-role" | "title" | "contents") {
        doc.renders_something = true;
        doc.explicit_visible = true;
    }
    let required = matches!(
        spec.content,
        Content::Body | Content::Literal | Content::Inline
    );
    if required && content.is_empty() {
        return Err(content_expected(line, name));
    }
    match spec.content {
        Content::Body | Content::OptionalBody => parse(doc, content, false)?,
        Content::Inline if !content.is_empty() => {
            let text: Vec<&str> = content.iter().map(|l| l.text.as_str()).collect();
            inline::parse(doc, &text.join("\n"), content[0].no)?;
        }
        _ => {}
    }
    if spec.name == "list-table" {
        list_table(name, line, content)?;
    }
    if spec.name == "admonition" && !argument.is_empty() {
        inline::parse(doc, argument, line)?;
    }
    Ok(())
}

fn content_expected(line: usize, name: &str) -> Failure {
    Failure::at(
        line,
        format!("Content block expected for the \"{name}\" directive; none found."),
    )
}

/// `image` and `figure`: the `align` values allowed where they are, and `target` references.
fn image(
    doc: &mut Document,
    spec: &Spec,
    name: &str,
    line: usize,
    align: Option<&str>,
    target: Option<&str>,
    in_substitution: bool,
) -> Step {
    const VERTICAL: [&str; 3] = ["top", "middle", "bottom"];
    const HORIZONTAL: [&str; 3] = ["left", "center", "right"];
    if let Some(align) = align {
        let error = || Failure::at(line, format!("Error in \"{name}\" directive:"));
        if spec.name == "figure" {
            if !HORIZONTAL.contains(&align) {
                return Err(error());
            }
        } else if !VERTICAL.contains(&align) && !HORIZONTAL.contains(&align) {
            return Err(error());
        } else if in_substitution && HORIZONTAL.contains(&align) {
            return Err(Failure::at(
                line,
                format!(
                    "Error in \"{name}\" directive: \"{align}\" is not a valid value for the \"align\" option within a substitution definition.  Valid values for \"align\" are: \"top\", \"middle\", \"bottom\"."
                ),
            ));
        } else if !in_substitution && VERTICAL.contains(&align) {
            return Err(Failure::at(
                line,
                format!(
                    "Error in \"{name}\" directive: \"{align}\" is not a valid value for the \"align\" option.  Valid values for \"align\" are: \"left\", \"center\", \"right\"."
                ),
            ));
        }
    }
    if let Some(refname) = target.and_then(reference_name) {
        doc.names.reference(&normalize(&refname), line);
    }
    Ok(())
}

/// The items of a bullet list at the start of `block`, each as the block of its body; `None`
/// when the block is not one bullet list.
fn bullet_items(block: &[Line]) -> Option<Vec<Vec<Line>>> {
    let symbol = block.first()?.text.chars().next()?;
    let mut items = Vec::new();
    let mut k = 0;
    while k < block.len() {
        let line = &block[k];
        if line.is_blank() {
            k += 1;
            continue;
        }
        let end = lists::bullet(&line.text).filter(|_| line.text.starts_with(symbol))?;
        let first = if line.text.len() > end {
            First::Block(end)
        } else {
            First::Known(end)
        };
        let item = lines::indented(block, k, first, false);
        k = item.end;
        items.push(item.lines);
    }
    Some(items)
}

/// `list-table`: a two-level bullet list whose rows all have as many items as the first.
fn list_table(name: &str, line: usize, content: &[Line]) -> Step {
    let Some(rows) = bullet_items(content) else {
        return Ok(());
    };
    let counts: Option<Vec<usize>> = rows
        .iter()
        .map(|row| {
            bullet_items(row)
                .map(|cells| cells.len())
                .filter(|n| *n > 0)
        })
        .collect();
    let Some(counts) = counts else {
        return Ok(());
    };
    if let Some((row, n)) = counts.iter().enumerate().find(|(_, n)| **n != counts[0]) {
        return Err(Failure::at(
            line,
            format!(
                "Error parsing content block for the \"{name}\" directive: uniform two-level bullet list expected, but row {} does not contain the same number of items as row 1 ({n} vs {}).",
                row + 1,
                counts[0]
            ),
        ));
    }
    Ok(())
}
