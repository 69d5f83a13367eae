//! Lower case for characters beyond ASCII, as `towlower` in a UTF-8 locale:
//! what `-iname`, `-ipath`, `-ilname` and `-iregex` fold with.
//!
//! Why a table of our own: Rust's `char::to_lowercase` brings 12 KB of
//! tables to the MIPS binary; the single-character mappings it knows fit in
//! 185 runs of 8 bytes (generated from it, and checked against it by the
//! test below). Like glibc's `towlower`, a character whose lower case is
//! several characters (`İ`) maps to the first of them.

/// A run of upper-case characters `first..=first+span` (every one, or every
/// other one) whose lower case is `delta` away, packed in two words.
#[derive(Clone, Copy)]
struct Run(u32, u32);

/// Packs a run (`alternate`: only `first`, `first + 2`, ...).
const fn run(first: u32, last: u32, delta: i32, alternate: bool) -> Run {
    Run(
        first | ((alternate as u32) << 31),
        (last - first) | (((delta + (1 << 19)) as u32) << 12),
    )
}

impl Run {
    fn first(self) -> u32 {
        self.0 & 0x1f_ffff
    }
    fn lower(self, c: u32) -> Option<u32> {
        let first = self.first();
        let span = self.1 & 0xfff;
        let alternate = self.0 >> 31 == 1;
        if c < first || c > first + span || (alternate && (c - first) % 2 == 1) {
            return None;
        }
        Some((c as i32 + (self.1 >> 12) as i32 - (1 << 19)) as u32)
    }
}

/// The lower case of `c` (itself when it has none).
pub(super) fn to_lower(c: u32) -> u32 {
    if c < 0x80 {
        return if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
            c + 32
        } else {
            c
        };
    }
    // The last run starting at or before c.
    let k = RUNS.partition_point(|r| r.first() <= c);
    match k.checked_sub(1).and_then(|k| RUNS[k].lower(c)) {
        Some(l) => l,
        None => c,
    }
}

/// Every single-character lower-case mapping of Unicode 16 (Rust 1.95's
/// tables), sorted by first character.
const RUNS: [Run; 185] = [
    run(0x00C0, 0x00D6, 32, false),
    run(0x00D8, 0x00DE, 32, false),
    run(0x0100, 0x012E, 1, true),
    run(0x0130, 0x0130, -199, false),
    run(0x0132, 0x0136, 1, true),
    run(0x0139, 0x0147, 1, true),
    run(0x014A, 0x0176, 1, true),
    run(0x0178, 0x0178, -121, false),
    run(0x0179, 0x017D, 1, true),
    run(0x0181, 0x0181, 210, false),
    run(0x0182, 0x0184, 1, true),
    run(0x0186, 0x0186, 206, false),
    run(0x0187, 0x0187, 1, false),
    run(0x0189, 0x018A, 205, false),
    run(0x018B, 0x018B, 1, false),
    run(0x018E, 0x018E, 79, false),
    run(0x018F, 0x018F, 202, false),
    run(0x0190, 0x0190, 203, false),
    run(0x0191, 0x0191, 1, false),
    run(0x0193, 0x0193, 205, false),
    run(0x0194, 0x0194, 207, false),
    run(0x0196, 0x0196, 211, false),
    run(0x0197, 0x0197, 209, false),
    run(0x0198, 0x0198, 1, false),
    run(0x019C, 0x019C, 211, false),
    run(0x019D, 0x019D, 213, false),
    run(0x019F, 0x019F, 214, false),
    run(0x01A0, 0x01A4, 1, true),
    run(0x01A6, 0x01A6, 218, false),
    run(0x01A7, 0x01A7, 1, false),
    run(0x01A9, 0x01A9, 218, false),
    run(0x01AC, 0x01AC, 1, false),
    run(0x01AE, 0x01AE, 218, false),
    run(0x01AF, 0x01AF, 1, false),
    run(0x01B1, 0x01B2, 217, false),
    run(0x01B3, 0x01B5, 1, true),
    run(0x01B7, 0x01B7, 219, false),
    run(0x01B8, 0x01B8, 1, false),
    run(0x01BC, 0x01BC, 1, false),
    run(0x01C4, 0x01C4, 2, false),
    run(0x01C5, 0x01C5, 1, false),
    run(0x01C7, 0x01C7, 2, false),
    run(0x01C8, 0x01C8, 1, false),
    run(0x01CA, 0x01CA, 2, false),
    run(0x01CB, 0x01DB, 1, true),
    run(0x01DE, 0x01EE, 1, true),
    run(0x01F1, 0x01F1, 2, false),
    run(0x01F2, 0x01F4, 1, true),
    run(0x01F6, 0x01F6, -97, false),
    run(0x01F7, 0x01F7, -56, false),
    run(0x01F8, 0x021E, 1, true),
    run(0x0220, 0x0220, -130, false),
    run(0x0222, 0x0232, 1, true),
    run(0x023A, 0x023A, 10795, false),
    run(0x023B, 0x023B, 1, false),
    run(0x023D, 0x023D, -163, false),
    run(0x023E, 0x023E, 10792, false),
    run(0x0241, 0x0241, 1, false),
    run(0x0243, 0x0243, -195, false),
    run(0x0244, 0x0244, 69, false),
    run(0x0245, 0x0245, 71, false),
    run(0x0246, 0x024E, 1, true),
    run(0x0370, 0x0372, 1, true),
    run(0x0376, 0x0376, 1, false),
    run(0x037F, 0x037F, 116, false),
    run(0x0386, 0x0386, 38, false),
    run(0x0388, 0x038A, 37, false),
    run(0x038C, 0x038C, 64, false),
    run(0x038E, 0x038F, 63, false),
    run(0x0391, 0x03A1, 32, false),
    run(0x03A3, 0x03AB, 32, false),
    run(0x03CF, 0x03CF, 8, false),
    run(0x03D8, 0x03EE, 1, true),
    run(0x03F4, 0x03F4, -60, false),
    run(0x03F7, 0x03F7, 1, false),
    run(0x03F9, 0x03F9, -7, false),
    run(0x03FA, 0x03FA, 1, false),
    run(0x03FD, 0x03FF, -130, false),
    run(0x0400, 0x040F, 80, false),
    run(0x0410, 0x042F, 32, false),
    run(0x0460, 0x0480, 1, true),
    run(0x048A, 0x04BE, 1, true),
    run(0x04C0, 0x04C0, 15, false),
    run(0x04C1, 0x04CD, 1, true),
    run(0x04D0, 0x052E, 1, true),
    run(0x0531, 0x0556, 48, false),
    run(0x10A0, 0x10C5, 7264, false),
    run(0x10C7, 0x10C7, 7264, false),
    run(0x10CD, 0x10CD, 7264, false),
    run(0x13A0, 0x13EF, 38864, false),
    run(0x13F0, 0x13F5, 8, false),
    run(0x1C89, 0x1C89, 1, false),
    run(0x1C90, 0x1CBA, -3008, false),
    run(0x1CBD, 0x1CBF, -3008, false),
    run(0x1E00, 0x1E94, 1, true),
    run(0x1E9E, 0x1E9E, -7615, false),
    run(0x1EA0, 0x1EFE, 1, true),
    run(0x1F08, 0x1F0F, -8, false),
    run(0x1F18, 0x1F1D, -8, false),
    run(0x1F28, 0x1F2F, -8, false),
    run(0x1F38, 0x1F3F, -8, false),
    run(0x1F48, 0x1F4D, -8, false),
    run(0x1F59, 0x1F5F, -8, true),
    run(0x1F68, 0x1F6F, -8, false),
    run(0x1F88, 0x1F8F, -8, false),
    run(0x1F98, 0x1F9F, -8, false),
    run(0x1FA8, 0x1FAF, -8, false),
    run(0x1FB8, 0x1FB9, -8, false),
    run(0x1FBA, 0x1FBB, -74, false),
    run(0x1FBC, 0x1FBC, -9, false),
    run(0x1FC8, 0x1FCB, -86, false),
    run(0x1FCC, 0x1FCC, -9, false),
    run(0x1FD8, 0x1FD9, -8, false),
    run(0x1FDA, 0x1FDB, -100, false),
    run(0x1FE8, 0x1FE9, -8, false),
    run(0x1FEA, 0x1FEB, -112, false),
    run(0x1FEC, 0x1FEC, -7, false),
    run(0x1FF8, 0x1FF9, -128, false),
    run(0x1FFA, 0x1FFB, -126, false),
    run(0x1FFC, 0x1FFC, -9, false),
    run(0x2126, 0x2126, -7517, false),
    run(0x212A, 0x212A, -8383, false),
    run(0x212B, 0x212B, -8262, false),
    run(0x2132, 0x2132, 28, false),
    run(0x2160, 0x216F, 16, false),
    run(0x2183, 0x2183, 1, false),
    run(0x24B6, 0x24CF, 26, false),
    run(0x2C00, 0x2C2F, 48, false),
    run(0x2C60, 0x2C60, 1, false),
    run(0x2C62, 0x2C62, -10743, false),
    run(0x2C63, 0x2C63, -3814, false),
    run(0x2C64, 0x2C64, -10727, false),
    run(0x2C67, 0x2C6B, 1, true),
    run(0x2C6D, 0x2C6D, -10780, false),
    run(0x2C6E, 0x2C6E, -10749, false),
    run(0x2C6F, 0x2C6F, -10783, false),
    run(0x2C70, 0x2C70, -10782, false),
    run(0x2C72, 0x2C72, 1, false),
    run(0x2C75, 0x2C75, 1, false),
    run(0x2C7E, 0x2C7F, -10815, false),
    run(0x2C80, 0x2CE2, 1, true),
    run(0x2CEB, 0x2CED, 1, true),
    run(0x2CF2, 0x2CF2, 1, false),
    run(0xA640, 0xA66C, 1, true),
    run(0xA680, 0xA69A, 1, true),
    run(0xA722, 0xA72E, 1, true),
    run(0xA732, 0xA76E, 1, true),
    run(0xA779, 0xA77B, 1, true),
    run(0xA77D, 0xA77D, -35332, false),
    run(0xA77E, 0xA786, 1, true),
    run(0xA78B, 0xA78B, 1, false),
    run(0xA78D, 0xA78D, -42280, false),
    run(0xA790, 0xA792, 1, true),
    run(0xA796, 0xA7A8, 1, true),
    run(0xA7AA, 0xA7AA, -42308, false),
    run(0xA7AB, 0xA7AB, -42319, false),
    run(0xA7AC, 0xA7AC, -42315, false),
    run(0xA7AD, 0xA7AD, -42305, false),
    run(0xA7AE, 0xA7AE, -42308, false),
    run(0xA7B0, 0xA7B0, -42258, false),
    run(0xA7B1, 0xA7B1, -42282, false),
    run(0xA7B2, 0xA7B2, -42261, false),
    run(0xA7B3, 0xA7B3, 928, false),
    run(0xA7B4, 0xA7C2, 1, true),
    run(0xA7C4, 0xA7C4, -48, false),
    run(0xA7C5, 0xA7C5, -42307, false),
    run(0xA7C6, 0xA7C6, -35384, false),
    run(0xA7C7, 0xA7C9, 1, true),
    run(0xA7CB, 0xA7CB, -42343, false),
    run(0xA7CC, 0xA7DA, 1, true),
    run(0xA7DC, 0xA7DC, -42561, false),
    run(0xA7F5, 0xA7F5, 1, false),
    run(0xFF21, 0xFF3A, 32, false),
    run(0x10400, 0x10427, 40, false),
    run(0x104B0, 0x104D3, 40, false),
    run(0x10570, 0x1057A, 39, false),
    run(0x1057C, 0x1058A, 39, false),
    run(0x1058C, 0x10592, 39, false),
    run(0x10594, 0x10595, 39, false),
    run(0x10C80, 0x10CB2, 64, false),
    run(0x10D50, 0x10D65, 32, false),
    run(0x118A0, 0x118BF, 32, false),
    run(0x16E40, 0x16E5F, 32, false),
    run(0x16EA0, 0x16EB8, 27, false),
    run(0x1E900, 0x1E921, 34, false),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly Rust's `to_lowercase` (first character) for every character.
    #[test]
    fn same_as_rust_for_every_character() {
        for c in 0..0x11_0000u32 {
            let Some(ch) = char::from_u32(c) else {
                continue;
            };
            let want = ch.to_lowercase().next().map_or(c, u32::from);
            assert_eq!(to_lower(c), want, "U+{c:04X}");
        }
        assert_eq!(to_lower('Ⱥ' as u32), 'ⱥ' as u32);
        assert_eq!(to_lower('É' as u32), 'é' as u32);
    }
}
