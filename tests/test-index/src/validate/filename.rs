//! Filename rules: `_validate_filename` (characters and extension) and the wheel
//! platform allow-list. packaging's sdist/wheel filename parsers, whose error texts
//! Warehouse passes through, are asked through `crate::oracle`.

/// `_validate_filename(filename, filetype)`; `Err` is the 400 message.
pub fn validate_filename(filename: &str, filetype: &str) -> Result<(), String> {
    if filename.chars().any(|c| (c as u32) < 32 || c as u32 == 127) {
        return Err("Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.".to_owned());
    }
    if filename.contains(['/', '\\']) {
        return Err("Cannot upload a file with '/' or '\\' in the name.".to_owned());
    }
    // `_dist_file_re`: `.+?(\.(tar\.gz|zip|whl))$`, case-insensitive, non-empty stem.
    let lower = filename.to_ascii_lowercase();
    let extension = [".tar.gz", ".zip", ".whl"]
        .into_iter()
        .find(|ext| lower.ends_with(ext) && filename.len() > ext.len())
        .map(|ext| &filename[filename.len() - ext.len()..]);
    match extension {
        Some(extension) => {
            let allowed: &[&str] = if filetype == "sdist" { &[".zip", ".tar.gz"] } else { &[".whl"] };
            if !allowed.contains(&extension) {
                return Err(format!(
                    "Invalid file extension: Extension {extension} is invalid for filetype {filetype}. See https://www.python.org/dev/peps/pep-0527 for more information."
                ));
            }
            Ok(())
        }
        None => Err("Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information".to_owned()),
    }
}

/// `_valid_platform_tag`: PyPI's allow-list of wheel platforms.
pub fn is_allowed_platform(tag: &str) -> bool {
    const STATIC: [&str; 18] = [
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    ];
    const MACOS_ARCHES: [&str; 11] = [
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    ];
    const MACOS_MAJORS: [&str; 6] = ["11", "12", "13", "14", "15", "26"];
    const LINUX_ARCHES: [&str; 7] = [
        "x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64",
    ];
    if STATIC.contains(&tag) {
        return true;
    }
    let is_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Python's `re.match` anchors only at the start; `(?P<arch>.*)` takes the rest.
    if let Some(rest) = tag.strip_prefix("macosx_")
        && let [major, minor, arch] = rest.splitn(3, '_').collect::<Vec<_>>()[..]
        && is_num(major)
        && is_num(minor)
        && MACOS_ARCHES.contains(&arch)
        && (major == "10" || (MACOS_MAJORS.contains(&major) && minor == "0"))
    {
        return true;
    }
    for (prefix, extra) in [("manylinux_", Some("ppc64")), ("musllinux_", None)] {
        if let Some(rest) = tag.strip_prefix(prefix)
            && let [major, minor, arch] = rest.splitn(3, '_').collect::<Vec<_>>()[..]
            && is_num(major)
            && is_num(minor)
        {
            return LINUX_ARCHES.contains(&arch) || extra == Some(arch);
        }
    }
    if let Some(rest) = tag.strip_prefix("ios_") {
        let parts: Vec<&str> = rest.splitn(3, '_').collect();
        if let [major, minor, tail] = parts[..]
            && is_num(major)
            && is_num(minor)
        {
            for sdk in ["_iphoneos", "_iphonesimulator"] {
                if let Some(arch) = tail.strip_suffix(sdk)
                    && matches!(arch, "arm64" | "x86_64")
                {
                    return true;
                }
            }
        }
    }
    if let Some(rest) = tag.strip_prefix("android_")
        && let Some((api, arch)) = rest.split_once('_')
        && is_num(api)
        && matches!(arch, "armeabi_v7a" | "arm64_v8a" | "x86" | "x86_64")
    {
        return true;
    }
    if let Some(rest) = tag.strip_prefix("pyemscripten_")
        && let [major, minor, arch] = rest.splitn(3, '_').collect::<Vec<_>>()[..]
        && is_num(major)
        && is_num(minor)
        && arch.starts_with("wasm32")
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_allow_list() {
        for ok in [
            "any",
            "win_amd64",
            "manylinux_2_17_x86_64",
            "musllinux_1_2_aarch64",
            "macosx_10_9_x86_64",
            "macosx_11_0_arm64",
            "manylinux2014_x86_64",
            "ios_13_0_arm64_iphoneos",
            "android_21_arm64_v8a",
            "pyemscripten_2024_0_wasm32",
            "linux_armv7l",
        ] {
            assert!(is_allowed_platform(ok), "{ok}");
        }
        for bad in [
            "linux_x86_64",
            "macosx_11_1_arm64",
            "musllinux_1_2_ppc64",
            "manylinux_2_17_sparc",
            "win_x86",
        ] {
            assert!(!is_allowed_platform(bad), "{bad}");
        }
    }
}
