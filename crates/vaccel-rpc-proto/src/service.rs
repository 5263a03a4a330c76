//! Service and method names (spec §3) and client stream ids (§2.2).
//!
//! The official default (sync) and async builds declare different proto packages, so the same
//! methods travel under two service names; a client built for one cannot talk to an agent built for
//! the other. The new agent serves every method under both names ([`Service::from_name`] accepts
//! either); the plugin sends [`SYNC_SERVICE`] unless told otherwise.

use std::fmt;

/// Service name of the default (sync) official build.
pub const SYNC_SERVICE: &str = "vaccel.sync.agent.AgentService";
/// Service name of the `async` / `async-stream` official builds.
pub const ASYNC_SERVICE: &str = "vaccel.asynchronous.agent.AgentService";

/// `Any.type_url` of the `vaccel.Error` detail the agent attaches to libvaccel failures (§5.1).
pub const PROTO_ERROR_TYPE_URL: &str = "type.googleapis.com/vaccel.ProtoError";

/// Which of the two service names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Service {
    /// `vaccel.sync.agent.AgentService` (the default for clients).
    #[default]
    Sync,
    /// `vaccel.asynchronous.agent.AgentService`.
    Async,
}

impl Service {
    /// The service string on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Service::Sync => SYNC_SERVICE,
            Service::Async => ASYNC_SERVICE,
        }
    }

    /// The service with this wire name (exact, case-sensitive).
    pub fn from_name(name: &str) -> Option<Service> {
        match name {
            SYNC_SERVICE => Some(Service::Sync),
            ASYNC_SERVICE => Some(Service::Async),
            _ => None,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! methods {
    ($( $(#[$doc:meta])* $variant:ident => $req:literal, $resp:literal; )*) => {
        /// The methods of the agent service (§3.2). Names are case-sensitive on the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Method { $( $(#[$doc])* $variant, )* }

        impl Method {
            /// Every method, in the order of §3.2.
            pub const ALL: &'static [Method] = &[ $( Method::$variant, )* ];

            /// The method name on the wire (`CreateSession`).
            pub fn name(self) -> &'static str {
                match self { $( Method::$variant => stringify!($variant), )* }
            }

            /// The method with this wire name (exact, case-sensitive).
            pub fn from_name(name: &str) -> Option<Method> {
                match name { $( stringify!($variant) => Some(Method::$variant), )* _ => None }
            }

            /// Fully-qualified proto name of the request message (`vaccel.session.CreateRequest`);
            /// for `GenopStream`, the message of each Data frame.
            pub fn request_type(self) -> &'static str {
                match self { $( Method::$variant => $req, )* }
            }

            /// Fully-qualified proto name of the response message.
            pub fn response_type(self) -> &'static str {
                match self { $( Method::$variant => $resp, )* }
            }
        }
    };
}

methods! {
    CreateSession => "vaccel.session.CreateRequest", "vaccel.session.CreateResponse";
    UpdateSession => "vaccel.session.UpdateRequest", "vaccel.empty.Empty";
    DestroySession => "vaccel.session.DestroyRequest", "vaccel.empty.Empty";
    RegisterResource => "vaccel.resource.RegisterRequest", "vaccel.resource.RegisterResponse";
    UnregisterResource => "vaccel.resource.UnregisterRequest", "vaccel.empty.Empty";
    SyncResource => "vaccel.resource.SyncRequest", "vaccel.resource.SyncResponse";
    /// Legacy: the current plugin routes classification through `Genop`.
    ImageClassification => "vaccel.image.Request", "vaccel.image.Response";
    /// Official agents serve the three TF methods on 64-bit targets only.
    TensorflowModelLoad => "vaccel.tf.ModelLoadRequest", "vaccel.tf.ModelLoadResponse";
    TensorflowModelUnload => "vaccel.tf.ModelUnloadRequest", "vaccel.tf.ModelUnloadResponse";
    TensorflowModelRun => "vaccel.tf.ModelRunRequest", "vaccel.tf.ModelRunResponse";
    TensorflowLiteModelLoad => "vaccel.tflite.ModelLoadRequest", "vaccel.empty.Empty";
    TensorflowLiteModelUnload => "vaccel.tflite.ModelUnloadRequest", "vaccel.empty.Empty";
    TensorflowLiteModelRun => "vaccel.tflite.ModelRunRequest", "vaccel.tflite.ModelRunResponse";
    TorchModelLoad => "vaccel.torch.ModelLoadRequest", "vaccel.empty.Empty";
    TorchModelRun => "vaccel.torch.ModelRunRequest", "vaccel.torch.ModelRunResponse";
    Genop => "vaccel.genop.Request", "vaccel.genop.Response";
    /// Client-streaming (§2.6, §10); the official async service only.
    GenopStream => "vaccel.genop.Request", "vaccel.genop.Response";
    GetProfiler => "vaccel.profiling.Request", "vaccel.profiling.Response";
}

impl Method {
    /// Whether the method is client-streaming (only `GenopStream`).
    pub fn is_client_streaming(self) -> bool {
        self == Method::GenopStream
    }

    /// `/<service>/<method>`, as the official servers quote it in dispatch errors.
    pub fn path(self, service: Service) -> String {
        format!("/{}/{}", service.name(), self.name())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Client stream ids: odd, starting at 1, +2 per call (§2.2).
#[derive(Debug, Clone)]
pub struct StreamIds {
    next: u32,
}

impl Default for StreamIds {
    fn default() -> Self {
        StreamIds { next: 1 }
    }
}

impl StreamIds {
    /// A generator whose first id is 1.
    pub fn new() -> Self {
        StreamIds::default()
    }

    /// The next id (1, 3, 5, …; wraps from the largest odd u32 back to 1).
    pub fn next_id(&mut self) -> u32 {
        let id = self.next;
        self.next = self.next.checked_add(2).unwrap_or(1);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Method::ALL.len(), 18);
        for &m in Method::ALL {
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
        assert_eq!(Method::from_name("createsession"), None);
        assert_eq!(Method::from_name("TorchJitloadForward"), None);
        assert_eq!(
            Method::UpdateSession.path(Service::Sync),
            "/vaccel.sync.agent.AgentService/UpdateSession"
        );
        assert_eq!(Service::from_name(ASYNC_SERVICE), Some(Service::Async));
        assert_eq!(Service::from_name("vaccel.AgentService"), None);
        assert!(Method::GenopStream.is_client_streaming());
        assert_eq!(
            Method::GetProfiler.response_type(),
            "vaccel.profiling.Response"
        );
    }

    #[test]
    fn stream_ids_are_odd() {
        let mut ids = StreamIds::new();
        assert_eq!([ids.next_id(), ids.next_id(), ids.next_id()], [1, 3, 5]);
        let mut ids = StreamIds { next: u32::MAX };
        assert_eq!(ids.next_id(), u32::MAX);
        assert_eq!(ids.next_id(), 1);
    }
}
