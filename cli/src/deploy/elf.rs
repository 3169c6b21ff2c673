//! What a Linux binary needs to start: its machine, and the newest glibc,
//! the highest `GLIBC_x.y` version its ELF version-needs section names.
//!
//! A Lambda function on `provided.al2023` runs with glibc 2.34; a bootstrap
//! that needs a newer symbol fails at its first start, with nothing in the
//! logs but the dynamic loader's complaint. `tributary package` reads the
//! requirement before anything is uploaded.

use std::fmt;

use object::Endianness;
use object::elf::FileHeader64;
use object::read::elf::FileHeader;
use tributary_config::Architecture;

/// The glibc of Lambda's `provided.al2023` runtime.
pub const AL2023_GLIBC: GlibcVersion = GlibcVersion {
    major: 2,
    minor: 34,
    patch: 0,
};

/// A glibc version, such as 2.34 or 2.2.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion {
    /// The major version: 2.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch version, 0 when there is none.
    pub patch: u32,
}

impl GlibcVersion {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(str::parse::<u32>);
        let major = parts.next()?.ok()?;
        let minor = parts.next().unwrap_or(Ok(0)).ok()?;
        let patch = parts.next().unwrap_or(Ok(0)).ok()?;
        parts.next().is_none().then_some(GlibcVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// The Lambda architecture a 64-bit ELF binary is built for: `x86_64`,
/// `arm64`, or `None` for another machine.
pub fn elf_architecture(binary: &[u8]) -> Result<Option<Architecture>, object::read::Error> {
    let header = FileHeader64::<Endianness>::parse(binary)?;
    let endian = header.endian()?;
    Ok(match header.e_machine(endian) {
        object::elf::EM_X86_64 => Some(Architecture::X86_64),
        object::elf::EM_AARCH64 => Some(Architecture::Arm64),
        _ => None,
    })
}

/// The highest glibc version a 64-bit ELF binary needs; `None` for a binary
/// that needs no versioned glibc symbol (a static one).
pub fn required_glibc(binary: &[u8]) -> Result<Option<GlibcVersion>, object::read::Error> {
    let header = FileHeader64::<Endianness>::parse(binary)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, binary)?;
    let Some((mut needs, strings_index)) = sections.gnu_verneed(endian, binary)? else {
        return Ok(None);
    };
    let strings = sections.strings(endian, binary, strings_index)?;
    let mut highest = None;
    while let Some((_, mut versions)) = needs.next()? {
        while let Some(version) = versions.next()? {
            let name = version.name(endian, strings)?;
            let parsed = std::str::from_utf8(name)
                .ok()
                .and_then(|name| name.strip_prefix("GLIBC_"))
                .and_then(GlibcVersion::parse);
            if parsed > highest {
                highest = parsed;
            }
        }
    }
    Ok(highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_part_by_part() {
        let v = |s| GlibcVersion::parse(s).unwrap();
        assert!(v("2.34") > v("2.4"));
        assert!(v("2.2.5") < v("2.3"));
        assert!(v("2.34") <= AL2023_GLIBC);
        assert_eq!(GlibcVersion::parse("PRIVATE"), None);
        assert_eq!(v("2.2.5").to_string(), "2.2.5");
        assert_eq!(AL2023_GLIBC.to_string(), "2.34");
    }

    #[test]
    fn reads_the_requirement_of_the_running_test_binary() {
        let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needed = required_glibc(&binary)
            .unwrap()
            .expect("a glibc-linked binary");
        assert_eq!(needed.major, 2, "{needed}");
    }

    #[test]
    fn reads_the_machine_of_the_running_test_binary() {
        let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let expected = if cfg!(target_arch = "aarch64") {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        };
        assert_eq!(elf_architecture(&binary).unwrap(), Some(expected));
    }

    #[test]
    fn a_file_that_is_not_elf_is_an_error() {
        assert!(required_glibc(b"#!/bin/sh\necho hi\n").is_err());
    }
}
