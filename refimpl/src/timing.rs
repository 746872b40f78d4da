//! spec §11.2 The timing profile: every cost parameter of the simulated machine, loaded from a
//! data file (`profiles/*.toml`) in which each parameter carries its value, unit, kind
//! (`measured`: a value the paper reports; `calibrated`: fitted to a paper total, with the
//! fit named in `source`; `structural`: a size of a Mach or OSF/1 structure, not a timing) and
//! source. The refimpl never prices an operation from a paper total: it counts the messages,
//! capabilities, bytes and pages each operation exchanges and prices them here (§11.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::{Time, NS_PER_MS, NS_PER_US};

/// The i386 / 25 MHz / 10 Mbit/s profile of the paper's testbed (Tables 1–2).
pub const I386_PROFILE: &str = include_str!("../profiles/i386-25mhz-10mbit.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Measured,
    Calibrated,
    Structural,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub value: f64,
    /// `us`, `ms`, `bytes` or `count`.
    pub unit: String,
    pub kind: Kind,
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub params: BTreeMap<String, Param>,
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, String> {
        toml::from_str(text).map_err(|e| format!("timing profile: {e}"))
    }

    pub fn i386() -> Profile {
        Profile::parse(I386_PROFILE).expect("the built-in profile parses")
    }

    fn get(&self, key: &str) -> Result<&Param, String> {
        self.params
            .get(key)
            .ok_or_else(|| format!("timing profile {}: missing parameter '{key}'", self.name))
    }

    /// A duration parameter in nanoseconds.
    fn time(&self, key: &str) -> Result<Time, String> {
        let p = self.get(key)?;
        let scale = match p.unit.as_str() {
            "us" => NS_PER_US as f64,
            "ms" => NS_PER_MS as f64,
            u => return Err(format!("parameter '{key}': unit '{u}' is not a duration")),
        };
        if p.value.is_nan() || p.value < 0.0 {
            return Err(format!("parameter '{key}': negative or NaN value"));
        }
        Ok((p.value * scale).round() as Time)
    }

    /// A size or count parameter.
    fn count(&self, key: &str) -> Result<u32, String> {
        let p = self.get(key)?;
        match p.unit.as_str() {
            "bytes" | "count" => {}
            u => {
                return Err(format!(
                    "parameter '{key}': unit '{u}' is not a size or count"
                ))
            }
        }
        if p.value.is_nan() || p.value < 0.0 || p.value.fract() != 0.0 {
            return Err(format!(
                "parameter '{key}': expected a whole non-negative number"
            ));
        }
        Ok(p.value as u32)
    }
}

/// The profile as the simulation uses it: every duration in nanoseconds.
#[derive(Clone, Debug)]
pub struct Costs {
    pub name: String,
    // Table 2 (measured).
    pub kernel_call: Time,
    pub async_local: Time,
    pub async_remote: Time,
    pub rpc_local: Time,
    pub rpc_remote: Time,
    pub cap_local: Time,
    pub cap_remote: Time,
    pub inline_1kb_local: Time,
    pub inline_1kb_remote: Time,
    pub page_local: Time,
    pub page_remote: Time,
    /// Wire time per byte on the 10 Mbit/s Ethernet (spec §11.10).
    pub wire_byte: Time,
    // Calibrated protocol processing costs.
    pub thread_migrate: Time,
    pub send_right_migrate: Time,
    pub port_migrate: Time,
    pub region_migrate: Time,
    pub cor_page: Time,
    pub proc_install: Time,
    pub token_reattach: Time,
    pub creation_cpu: Time,
    // Sizes (measured in the paper's text, or structural).
    pub proc_user_bytes: u32,
    pub credentials_bytes: u32,
    pub rusage_bytes: u32,
    pub process_caps: u32,
    pub thread_state_bytes: u32,
    pub thread_info_bytes: u32,
    pub port_name_bytes: u32,
    pub port_status_bytes: u32,
    pub region_info_bytes: u32,
    pub request_bytes: u32,
    pub syscall_bytes: u32,
}

impl Costs {
    pub fn from_profile(p: &Profile) -> Result<Costs, String> {
        Ok(Costs {
            name: p.name.clone(),
            kernel_call: p.time("kernel_call_local")?,
            async_local: p.time("async_ipc_local")?,
            async_remote: p.time("async_ipc_remote")?,
            rpc_local: p.time("rpc_local")?,
            rpc_remote: p.time("rpc_remote")?,
            cap_local: p.time("cap_local")?,
            cap_remote: p.time("cap_remote")?,
            inline_1kb_local: p.time("inline_1kb_local")?,
            inline_1kb_remote: p.time("inline_1kb_remote")?,
            page_local: p.time("page_4kb_local")?,
            page_remote: p.time("page_4kb_remote")?,
            wire_byte: p.time("wire_byte")?,
            thread_migrate: p.time("thread_migrate")?,
            send_right_migrate: p.time("send_right_migrate")?,
            port_migrate: p.time("port_migrate")?,
            region_migrate: p.time("region_migrate")?,
            cor_page: p.time("cor_page")?,
            proc_install: p.time("proc_install")?,
            token_reattach: p.time("token_reattach")?,
            creation_cpu: p.time("creation_cpu")?,
            proc_user_bytes: p.count("proc_user_bytes")?,
            credentials_bytes: p.count("credentials_bytes")?,
            rusage_bytes: p.count("rusage_bytes")?,
            process_caps: p.count("process_caps")?,
            thread_state_bytes: p.count("thread_state_bytes")?,
            thread_info_bytes: p.count("thread_info_bytes")?,
            port_name_bytes: p.count("port_name_bytes")?,
            port_status_bytes: p.count("port_status_bytes")?,
            region_info_bytes: p.count("region_info_bytes")?,
            request_bytes: p.count("request_bytes")?,
            syscall_bytes: p.count("syscall_bytes")?,
        })
    }

    pub fn i386() -> Costs {
        Costs::from_profile(&Profile::i386()).expect("the built-in profile is complete")
    }

    /// Inline bytes beyond a null message, per byte: Table 2's "inline memory transfer
    /// (1 KB)" is read as the whole round trip of an RPC carrying 1 KB inline, so the
    /// marginal cost of a byte is (inline_1kb − rpc) / 1024 (spec §11.2).
    fn inline(&self, local: bool, bytes: u32) -> Time {
        let (total, base) = if local {
            (self.inline_1kb_local, self.rpc_local)
        } else {
            (self.inline_1kb_remote, self.rpc_remote)
        };
        total.saturating_sub(base) * bytes as Time / 1024
    }

    /// The price of one message (spec §11.3): its base cost by kind and locality, plus
    /// each additional capability, plus its inline bytes, plus each out-of-line page.
    pub fn price(&self, m: &MsgShape) -> Time {
        let base = match (m.kind, m.local) {
            (MsgKind::KernelCall, true) => self.kernel_call,
            // A kernel call on a task of another node is an RPC on its kernel port (DIPC).
            (MsgKind::KernelCall, false) => self.rpc_remote,
            (MsgKind::Async, true) => self.async_local,
            (MsgKind::Async, false) => self.async_remote,
            (MsgKind::Rpc, true) => self.rpc_local,
            (MsgKind::Rpc, false) => self.rpc_remote,
            (MsgKind::Cpu, _) => 0,
        };
        let cap = if m.local {
            self.cap_local
        } else {
            self.cap_remote
        };
        let page = if m.local {
            self.page_local
        } else {
            self.page_remote
        };
        base + cap * m.caps as Time + self.inline(m.local, m.bytes) + page * m.pages as Time
    }
}

/// What a message carries, which is all its price depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgShape {
    pub kind: MsgKind,
    /// Sender and receiver on one node.
    pub local: bool,
    /// Capabilities (port rights) carried.
    pub caps: u32,
    /// Inline bytes.
    pub bytes: u32,
    /// Out-of-line 4 KB pages (each priced as Table 2's memory transfer).
    pub pages: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum MsgKind {
    /// A Mach kernel call (trap on the local kernel, RPC on a remote task's kernel port).
    #[default]
    KernelCall,
    /// A one-way IPC message.
    Async,
    /// A round trip (request and reply).
    Rpc,
    /// Processing time of a server, no message (calibrated parameters only).
    Cpu,
}

impl MsgShape {
    pub fn new(kind: MsgKind, local: bool) -> MsgShape {
        MsgShape {
            kind,
            local,
            ..MsgShape::default()
        }
    }
    pub fn caps(mut self, n: u32) -> MsgShape {
        self.caps = n;
        self
    }
    pub fn bytes(mut self, n: u32) -> MsgShape {
        self.bytes = n;
        self
    }
    pub fn pages(mut self, n: u32) -> MsgShape {
        self.pages = n;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.2 — every parameter has a kind and a source, and the built-in
    // profile is complete.
    #[test]
    fn builtin_profile_is_complete_and_sourced() {
        let p = Profile::i386();
        Costs::from_profile(&p).unwrap();
        for (k, v) in &p.params {
            assert!(!v.source.trim().is_empty(), "{k} has no source");
        }
        assert_eq!(p.params["rpc_remote"].kind, Kind::Measured);
        assert_eq!(p.params["thread_migrate"].kind, Kind::Calibrated);
    }

    // Reference: spec §11.2 — Table 2 rows 1–4 in microseconds, rows 5–6 in milliseconds.
    #[test]
    fn table2_reading() {
        let c = Costs::i386();
        assert_eq!(c.rpc_remote, 7_500 * NS_PER_US);
        assert_eq!(c.page_remote, 28_700 * NS_PER_US);
        let one_kb = MsgShape::new(MsgKind::Rpc, false).bytes(1024);
        assert_eq!(c.price(&one_kb), 12 * NS_PER_MS);
    }

    // Reference: spec §11.2 — a missing parameter or a wrong unit is an error, not a panic.
    #[test]
    fn bad_profiles_are_errors() {
        let mut p = Profile::i386();
        p.params.remove("rpc_remote");
        assert!(Costs::from_profile(&p).is_err());
        let mut p = Profile::i386();
        p.params.get_mut("rpc_local").unwrap().unit = "bytes".into();
        assert!(Costs::from_profile(&p).is_err());
        assert!(Profile::parse("name = 3").is_err());
    }
}
