//! A tiny authoritative DNS responder for the `mxquery` example: UDP on
//! 127.0.0.1 (an ephemeral port), one fixed zone, replies built with
//! hickory's `Message` types. It exists so that the example runs offline;
//! it is no model of a DNS server.
//!
//! The zone, `example.test.` (`.test` is reserved for testing, RFC 2606):
//!
//! * `example.test.` and `lists.example.test.` have MX records (listed out
//!   of preference order, so that the client's sorting shows);
//! * `silent.example.test.` is never answered, to show a lookup timing out;
//! * any other name in the zone is NXDOMAIN (with the zone's SOA, for
//!   negative caching); names outside it are REFUSED.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{MX, SOA};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

/// The zone every reply comes from.
pub(crate) const ORIGIN: &str = "example.test.";
/// The name the responder never answers.
pub(crate) const SILENT: &str = "silent.example.test.";

const TTL: u32 = 300;
/// Large enough for any query a resolver sends over UDP with EDNS.
const MAX_DATAGRAM: usize = 4096;

/// What the responder did, for the example's transcript.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) answered: AtomicU64,
    pub(crate) ignored: AtomicU64,
}

/// The fixed zone.
struct Zone {
    origin: Name,
    soa: Record,
    mail: Vec<(Name, Vec<(u16, Name)>)>,
    silent: Name,
}

impl Zone {
    fn new() -> io::Result<Self> {
        let origin = name(ORIGIN)?;
        let soa = SOA::new(
            name("ns.example.test.")?,
            name("hostmaster.example.test.")?,
            2026010101, // serial: YYYYMMDDnn
            3600,
            600,
            86400,
            60,
        );
        let mail = vec![
            (
                origin.clone(),
                vec![
                    (20, name("mx-backup.example.test.")?),
                    (10, name("mx2.example.test.")?),
                    (10, name("mx1.example.test.")?),
                ],
            ),
            (
                name("lists.example.test.")?,
                vec![(5, name("mx1.example.test.")?)],
            ),
        ];
        Ok(Zone {
            soa: Record::from_rdata(origin.clone(), TTL, RData::SOA(soa)),
            origin,
            mail,
            silent: name(SILENT)?,
        })
    }

    /// The reply to `request`, or `None` to stay silent.
    fn reply(&self, request: &Message) -> Option<Message> {
        if request.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut reply = Message::response(request.metadata.id, request.metadata.op_code);
        reply.metadata.recursion_desired = request.metadata.recursion_desired;
        reply.add_queries(request.queries.iter().cloned());
        if request.edns.is_some() {
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            reply.set_edns(edns);
        }
        let query = match request.queries.as_slice() {
            [query] if request.metadata.op_code == OpCode::Query => query,
            [_] => return Some(with_code(reply, ResponseCode::NotImp)),
            _ => return Some(with_code(reply, ResponseCode::FormErr)),
        };
        let qname = query.name().to_lowercase();
        if qname == self.silent {
            return None;
        }
        if !self.origin.zone_of(&qname) {
            return Some(with_code(reply, ResponseCode::Refused));
        }
        reply.metadata.authoritative = true;
        match self.mail.iter().find(|(owner, _)| *owner == qname) {
            Some((owner, exchanges)) => {
                if query.query_type() == RecordType::MX {
                    reply.add_answers(exchanges.iter().map(|(preference, exchange)| {
                        let mx = MX::new(*preference, exchange.clone());
                        Record::from_rdata(owner.clone(), TTL, RData::MX(mx))
                    }));
                } else {
                    // The name exists, but has no records of that type.
                    reply.add_authority(self.soa.clone());
                }
                Some(reply)
            }
            None => {
                reply.add_authority(self.soa.clone());
                Some(with_code(reply, ResponseCode::NXDomain))
            }
        }
    }
}

fn name(text: &str) -> io::Result<Name> {
    Name::from_ascii(text).map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))
}

fn with_code(mut reply: Message, code: ResponseCode) -> Message {
    reply.metadata.response_code = code;
    reply
}

/// A responder bound to 127.0.0.1 on an ephemeral port, not yet serving.
#[derive(Debug)]
pub(crate) struct Responder {
    socket: UdpSocket,
    counters: Arc<Counters>,
}

impl Responder {
    /// Binds 127.0.0.1:0. Call it inside the reactor (it registers the
    /// socket with the runtime).
    pub(crate) async fn bind() -> io::Result<Self> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        Ok(Responder {
            socket,
            counters: Arc::default(),
        })
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// What it has done so far (shared with the running responder).
    pub(crate) fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Answers queries until dropped (cancel the task running it to stop).
    /// Malformed datagrams are ignored; a failed send is not retried.
    pub(crate) async fn serve(self) -> io::Result<()> {
        let zone = Zone::new()?;
        let mut buffer = vec![0_u8; MAX_DATAGRAM];
        loop {
            let (len, peer) = match self.socket.recv_from(&mut buffer).await {
                Ok(received) => received,
                // Some systems report an earlier reply's ICMP "port
                // unreachable" here; that is no reason to stop serving.
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
                    ) =>
                {
                    continue;
                }
                Err(err) => return Err(err),
            };
            let reply = Message::from_vec(&buffer[..len])
                .ok()
                .and_then(|request| zone.reply(&request))
                .and_then(|reply| reply.to_vec().ok());
            match reply {
                Some(bytes) => {
                    self.counters.answered.fetch_add(1, Ordering::Relaxed);
                    let _ = self.socket.send_to(&bytes, peer).await;
                }
                None => {
                    self.counters.ignored.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}
