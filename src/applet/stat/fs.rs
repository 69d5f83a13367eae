//! `stat -f`: file system status (`statfs`), with GNU coreutils 9.1's
//! directives, default and terse formats, and names for file system types.

use super::Tok;
use crate::fmt_quote::{pad_num, pad_str, Sink};
use crate::sys::FsStat;

/// GNU's default `-f` format.
pub(super) const LONG: &str = "  File: \"%n\"\n    ID: %-8i Namelen: %-7l Type: %T\n\
Block size: %-10s Fundamental block size: %S\n\
Blocks: Total: %-10b Free: %-10f Available: %a\n\
Inodes: Total: %-10c Free: %d\n";

/// GNU's `-f -t` format.
pub(super) const TERSE: &str = "%n %i %l %t %s %S %b %f %a %c %d\n";

/// Names GNU gives the file system magic numbers Linux reports (the ones
/// a router or server meets; others print as `UNKNOWN (0x...)`).
const NAMES: [(u32, &str); 43] = [
    (0xEF53, "ext2/ext3"),
    (0x0102_1994, "tmpfs"),
    (0x9FA0, "proc"),
    (0x6265_6572, "sysfs"),
    (0x1CD1, "devpts"),
    (0x9123_683E, "btrfs"),
    (0x5846_5342, "xfs"),
    (0x4D44, "msdos"),
    (0x2011_BAB0, "exfat"),
    (0x5346_544E, "ntfs"),
    (0x7371_7368, "squashfs"),
    (0x794C_7630, "overlayfs"),
    (0x8584_58F6, "ramfs"),
    (0x72B6, "jffs2"),
    (0x2405_1905, "ubifs"),
    (0xF2F5_2010, "f2fs"),
    (0x6969, "nfs"),
    (0x6367_7270, "cgroup2fs"),
    (0x0027_E0EB, "cgroupfs"),
    (0x6462_6720, "debugfs"),
    (0x7363_6673, "securityfs"),
    (0x7472_6163, "tracefs"),
    (0x4249_4E4D, "binfmt_misc"),
    (0x6265_6570, "configfs"),
    (0x6573_5543, "fusectl"),
    (0x6573_5546, "fuseblk"),
    (0x1980_0202, "mqueue"),
    (0x9584_58F6, "hugetlbfs"),
    (0xCAFE_4A11, "bpf_fs"),
    (0x6165_676C, "pstorefs"),
    (0x0187, "autofs"),
    (0x9660, "isofs"),
    (0x1501_3346, "udf"),
    (0x2FC1_2FC1, "zfs"),
    (0x6E73_6673, "nsfs"),
    (0xFF53_4D42, "cifs"),
    (0xFE53_4D42, "smb2"),
    (0x0102_1997, "v9fs"),
    (0xDE5E_81E4, "efivarfs"),
    (0x6759_6969, "rpc_pipefs"),
    (0x7275, "romfs"),
    (0x28CD_3D45, "cramfs"),
    (0x0904_1934, "anon-inode FS"),
];

/// Renders `toks` for the file system of `name`.
pub(super) fn render(out: &mut dyn Sink, toks: &[Tok], name: &[u8], s: &FsStat) {
    for t in toks {
        let (sp, conv) = match t {
            Tok::Lit(b) => {
                out.put(&[*b]);
                continue;
            }
            Tok::Dir(sp, _, conv) => (sp, *conv),
        };
        let (v, radix) = match conv {
            b'a' => (s.bavail, 10),
            b'b' => (s.blocks, 10),
            b'c' => (s.files, 10),
            b'd' => (s.ffree, 10),
            b'f' => (s.bfree, 10),
            b'i' => (s.fsid, 16),
            b'l' => (s.namelen, 10),
            b's' => (s.bsize, 10),
            b'S' => (s.frsize, 10),
            b't' => (s.kind, 16),
            b'n' => {
                pad_str(out, sp, name);
                continue;
            }
            b'T' => {
                let known = NAMES.iter().find(|(m, _)| u64::from(*m) == s.kind);
                match known {
                    Some((_, n)) => pad_str(out, sp, n.as_bytes()),
                    None => {
                        let mut v = b"UNKNOWN (0x".to_vec();
                        pad_num(&mut v, &Default::default(), i128::from(s.kind), 16, false);
                        v.push(b')');
                        pad_str(out, sp, &v)
                    }
                };
                continue;
            }
            _ => {
                out.put(b"?");
                continue;
            }
        };
        pad_num(out, sp, i128::from(v), radix, false);
    }
}
