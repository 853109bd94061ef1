//! Warehouse's upload checks, one file per stage of `forklift.legacy.file_upload`:
//! the WTForms `UploadForm`, the core metadata (packaging's rules plus Warehouse's),
//! the filename rules, and the look inside the archive.

pub mod archive;
pub mod filename;
pub mod form;
pub mod license;
pub mod metadata;
pub mod uri;
