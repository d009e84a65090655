//! RPC credentials: the cookie file, `-rpcuser`/`-rpcpassword`, `-rpcauth`
//! (salted HMAC-SHA256) and `-rpcwhitelist`.

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use common::lockedpool::LockedBytes;
use rand::RngCore;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// User name written to the cookie file.
pub const COOKIE_USER: &str = "__cookie__";

/// One accepted credential: user, salt, hex HMAC-SHA256(salt, password).
/// The digest is what a caller must match, so it is kept in locked memory
/// (out of swap and core dumps), as Core keeps its secrets.
#[derive(Debug, Clone)]
struct Credential {
    user: String,
    salt: String,
    hash: LockedBytes,
}

/// Who may call the server and which methods each user may call.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    credentials: Vec<Credential>,
    whitelist: HashMap<String, BTreeSet<String>>,
    whitelist_default: bool,
}

/// Everything needed to set up [`Auth`], read from the options.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// `-rpcuser`.
    pub user: String,
    /// `-rpcpassword`; when empty a cookie is used.
    pub password: String,
    /// `-rpcauth` values.
    pub rpcauth: Vec<String>,
    /// `-rpcwhitelist` values.
    pub whitelist: Vec<String>,
    /// `-rpcwhitelistdefault`, if given.
    pub whitelist_default: Option<bool>,
    /// Cookie path (absolute), or `None` for `-norpccookiefile`.
    pub cookie_file: Option<PathBuf>,
    /// `-rpccookieperms` value, if given.
    pub cookie_perms: Option<String>,
}

fn hmac_hex(salt: &str, password: &str) -> String {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(salt.as_bytes());
    engine.input(password.as_bytes());
    hmac::Hmac::<sha256::Hash>::from_engine(engine).to_string()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= (a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0)) as usize;
    }
    diff == 0
}

/// Maps `-rpccookieperms` to a mode, as Core's `InterpretPermString`.
pub fn cookie_mode(perm: &str) -> Option<u32> {
    match perm {
        "owner" => Some(0o600),
        "group" => Some(0o640),
        "all" => Some(0o644),
        _ => None,
    }
}

impl Auth {
    /// Builds the credential set, writing the cookie file when no password is set.
    /// Errors carry Core's log texts.
    pub fn setup(settings: &AuthSettings) -> Result<Auth, String> {
        let mut auth = Auth::default();
        let (mut user, mut pass) = (String::new(), String::new());
        if settings.password.is_empty() {
            let mode = match &settings.cookie_perms {
                Some(p) => Some(cookie_mode(p).ok_or_else(|| {
                    format!(
                        "Invalid -rpccookieperms={p}; must be one of 'owner', 'group', or 'all'."
                    )
                })?),
                None => None,
            };
            match &settings.cookie_file {
                None => tracing::info!("RPC authentication cookie file generation is disabled."),
                Some(path) => {
                    let secret = generate_cookie(path, mode)?;
                    tracing::info!("Using random cookie authentication.");
                    user = COOKIE_USER.to_string();
                    pass = secret;
                }
            }
        } else {
            tracing::info!("Using rpcuser/rpcpassword authentication.");
            tracing::warn!("The use of rpcuser/rpcpassword is less secure, because credentials are configured in plain text. It is recommended that locally-run instances switch to cookie-based auth, or otherwise to use hashed rpcauth credentials. See share/rpcauth in the source directory for more information.");
            user = settings.user.clone();
            pass = settings.password.clone();
        }
        if !user.is_empty() || !pass.is_empty() {
            let mut raw = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut raw);
            let salt = hex::encode(raw);
            let hash = LockedBytes::new(hmac_hex(&salt, &pass).as_bytes());
            auth.credentials.push(Credential { user, salt, hash });
        }
        if !settings.rpcauth.is_empty() {
            tracing::info!("Using rpcauth authentication.");
        }
        for entry in &settings.rpcauth {
            let fields: Vec<&str> = entry.split(':').collect();
            let salt_hmac: Vec<&str> = fields
                .last()
                .map(|f| f.split('$').collect())
                .unwrap_or_default();
            if fields.len() == 2 && salt_hmac.len() == 2 {
                auth.credentials.push(Credential {
                    user: fields[0].to_string(),
                    salt: salt_hmac[0].to_string(),
                    hash: LockedBytes::new(salt_hmac[1].as_bytes()),
                });
            } else {
                return Err("Invalid -rpcauth argument.".to_string());
            }
        }
        auth.whitelist_default = settings
            .whitelist_default
            .unwrap_or(!settings.whitelist.is_empty());
        for entry in &settings.whitelist {
            let (user, methods) = match entry.split_once(':') {
                Some((u, m)) => (u, Some(m)),
                None => (entry.as_str(), None),
            };
            let existed = auth.whitelist.contains_key(user);
            let current = auth.whitelist.entry(user.to_string()).or_default();
            if let Some(methods) = methods {
                let new: BTreeSet<String> = methods
                    .split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                *current = if existed {
                    new.intersection(current).cloned().collect()
                } else {
                    new
                };
            }
        }
        Ok(auth)
    }

    /// Checks an `Authorization` header; returns the user name it claims and whether
    /// the credentials are valid.
    pub fn check_header(&self, header: &str) -> (String, bool) {
        use base64::Engine;
        let Some(encoded) = header.strip_prefix("Basic ") else {
            return (String::new(), false);
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return (String::new(), false);
        };
        let text = String::from_utf8_lossy(&decoded).into_owned();
        let Some((user, pass)) = text.split_once(':') else {
            return (String::new(), false);
        };
        let ok = self.credentials.iter().any(|c| {
            constant_time_eq(c.user.as_bytes(), user.as_bytes())
                && constant_time_eq(hmac_hex(&c.salt, pass).as_bytes(), c.hash.as_slice())
        });
        (user.to_string(), ok)
    }

    /// `None` when `user` may call every method; otherwise the allowed set (possibly empty).
    pub fn allowed_methods(&self, user: &str) -> Option<&BTreeSet<String>> {
        self.whitelist.get(user)
    }

    /// Whether users without a whitelist entry are denied everything.
    pub fn whitelist_default(&self) -> bool {
        self.whitelist_default
    }
}

/// Writes `__cookie__:<64 hex>` to `path` (via a `.tmp` file and rename) and
/// returns the secret.
pub fn generate_cookie(path: &Path, mode: Option<u32>) -> Result<String, String> {
    use std::io::Write;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret = hex::encode(raw);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(format!("{COOKIE_USER}:{secret}").as_bytes()));
    if written.is_err() {
        return Err(format!(
            "Unable to open cookie authentication file {} for writing",
            tmp.display()
        ));
    }
    if std::fs::rename(&tmp, path).is_err() {
        return Err(format!(
            "Unable to rename cookie authentication file {} to {}",
            tmp.display(),
            path.display()
        ));
    }
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).is_err() {
            return Err(format!(
                "Unable to set permissions on cookie authentication file {}",
                path.display()
            ));
        }
    }
    tracing::info!("Generated RPC authentication cookie {}", path.display());
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn basic(user: &str, pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    }

    #[test]
    fn rpcauth_entry_checks_password() {
        // Salt and HMAC produced by Core's share/rpcauth/rpcauth.py for password "pw".
        let salt = "cb77f0957de88ff388cf817ddbc7273";
        let hash = hmac_hex(salt, "pw");
        let settings = AuthSettings {
            rpcauth: vec![format!("alice:{salt}${hash}")],
            cookie_file: None,
            ..Default::default()
        };
        let auth = Auth::setup(&settings).unwrap();
        assert_eq!(
            auth.check_header(&basic("alice", "pw")),
            ("alice".to_string(), true)
        );
        assert!(!auth.check_header(&basic("alice", "nope")).1);
        assert!(!auth.check_header("Bearer x").1);
        assert!(!auth.check_header("Basic !!!").1);
    }

    #[test]
    fn malformed_rpcauth_is_rejected() {
        let settings = AuthSettings {
            rpcauth: vec!["alice".into()],
            ..Default::default()
        };
        assert_eq!(
            Auth::setup(&settings).unwrap_err(),
            "Invalid -rpcauth argument."
        );
    }

    #[test]
    fn cookie_is_written_and_accepted() {
        let dir = std::env::temp_dir().join(format!("cookie-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".cookie");
        let settings = AuthSettings {
            cookie_file: Some(path.clone()),
            ..Default::default()
        };
        let auth = Auth::setup(&settings).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let (user, pass) = text.split_once(':').unwrap();
        assert_eq!(user, COOKIE_USER);
        assert_eq!(pass.len(), 64);
        assert!(auth.check_header(&basic(user, pass)).1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn whitelists_intersect() {
        let settings = AuthSettings {
            user: "u".into(),
            password: "p".into(),
            whitelist: vec!["u:getblockcount,stop".into(), "u:stop, help".into()],
            ..Default::default()
        };
        let auth = Auth::setup(&settings).unwrap();
        let allowed = auth.allowed_methods("u").unwrap();
        assert_eq!(allowed.iter().collect::<Vec<_>>(), vec!["stop"]);
        assert!(auth.whitelist_default());
    }
}
