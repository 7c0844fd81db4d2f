"""Commit signatures as git checks them (``gpg.format ssh``): ``ssh-keygen -Y verify``
with an allowed-signers file derived from the team list."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tcrm.errors import GitError

SSH_KEYGEN = "ssh-keygen"
SIGNING_NAMESPACE = "git"
"""The namespace git signs commits in (``ssh-keygen -Y sign -n git``)."""


def ssh_signature_problem(
    payload: bytes, signature: bytes, principal: str, key: str, timeout: float = 30
) -> str | None:
    """None if ``signature`` over ``payload`` is a valid SSH signature by ``key``, else
    why not. Checked as git checks it: ``ssh-keygen -Y verify`` with an allowed-signers
    file, here holding the one key the author's member may sign with."""
    if not signature.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        return "signed, but not with an SSH key (gpg.format ssh)"
    with tempfile.TemporaryDirectory(prefix="tcrm-verify-") as tmp:
        allowed = Path(tmp, "allowed_signers")
        allowed.write_text(f'{principal} namespaces="{SIGNING_NAMESPACE}" {key}\n')
        sig = Path(tmp, "commit.sig")
        sig.write_bytes(signature)
        try:
            result = subprocess.run(
                [
                    SSH_KEYGEN,
                    "-Y",
                    "verify",
                    "-f",
                    str(allowed),
                    "-I",
                    principal,
                    "-n",
                    SIGNING_NAMESPACE,
                    "-s",
                    str(sig),
                ],
                input=payload,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise GitError(
                "ssh-keygen (OpenSSH) is needed to verify signed commits; install it"
            ) from None
        except subprocess.TimeoutExpired:
            return "the signature could not be verified in time"
    return None if result.returncode == 0 else "the signature is not by their signing_key"


def allowed_signers(members: list[tuple[str, str]]) -> str:
    """An allowed-signers file for git (``gpg.ssh.allowedSignersFile``), one line per
    ``(email, key)``, so ``git log --show-signature`` names the same people tcrm does."""
    return "".join(f'{email} namespaces="{SIGNING_NAMESPACE}" {key}\n' for email, key in members)
