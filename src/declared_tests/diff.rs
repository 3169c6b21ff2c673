//! A line diff, for showing what a test expected against what it got.

/// `expected` against `actual`, line by line: common lines indented, lines
/// only expected marked `-`, lines only got marked `+` (longest common
/// subsequence).
pub(super) fn lines(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lengths = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i][j] = if a[i] == b[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!("    {}", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lengths[i][j + 1] > lengths[i + 1][j]) {
            out.push(format!("  + {}", b[j]));
            j += 1;
        } else {
            out.push(format!("  - {}", a[i]));
            i += 1;
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn marks_lines_expected_and_got() {
        assert_eq!(
            super::lines("a\nb\nc", "a\nx\nc"),
            "    a\n  - b\n  + x\n    c"
        );
    }
}
