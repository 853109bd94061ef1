//! Running as a GitHub Action: inputs from `INPUT_*` variables (hyphens kept), workflow
//! commands on stdout (masks, annotations, groups), step outputs and the job summary through
//! the file commands the runner provides.

pub mod inputs;
pub mod reporter;
pub mod summary;
mod summary_files;
pub mod workflow;

pub use inputs::ActionInputs;
