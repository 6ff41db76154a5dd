//! Running the `fedgate` binary from the repository root, as a user would.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `fedgate args…` in the repository root with `stdin`; the exit code, stdout, stderr.
pub fn fedgate(args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedgate"))
        .current_dir(root)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        // A command that refuses its arguments may exit before reading its input.
        if let Err(error) = input.write_all(bytes) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
