//! What [`Server::bind`](crate::Server::bind) takes: the address forms `TcpListener::bind`
//! takes, looked up through the runtime (a name goes to [`Runtime::lookup`], an address is
//! taken as it is).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::runtime::Runtime;

/// An address to bind: an address, or a host name and a port.
pub trait BindAddrs {
    /// The address, or the name to look up and the port.
    fn to_target(&self) -> io::Result<Target>;
}

/// What a [`BindAddrs`] names.
#[derive(Debug, Clone)]
pub enum Target {
    /// Addresses, tried in turn.
    Addrs(Vec<SocketAddr>),
    /// A name to look up, and the port.
    Name(String, u16),
}

impl Target {
    /// The addresses, looking the name up on `rt` if it is one.
    pub async fn resolve<Rt: Runtime>(self, rt: &Rt) -> io::Result<Vec<SocketAddr>> {
        match self {
            Self::Addrs(v) => Ok(v),
            Self::Name(host, port) => {
                let found = rt.lookup(host).await?;
                Ok(found.into_iter().map(|a| SocketAddr::new(a.ip(), port)).collect())
            }
        }
    }
}

fn name_and_port(host: &str, port: u16) -> Target {
    match host.parse::<IpAddr>() {
        Ok(ip) => Target::Addrs(vec![SocketAddr::new(ip, port)]),
        Err(_) => Target::Name(host.to_owned(), port),
    }
}

impl BindAddrs for SocketAddr {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(vec![*self]))
    }
}

impl BindAddrs for str {
    /// `host:port`, or `[v6]:port`.
    fn to_target(&self) -> io::Result<Target> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(Target::Addrs(vec![addr]));
        }
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "invalid socket address");
        let (host, port) = self.rsplit_once(':').ok_or_else(invalid)?;
        let port = port.parse::<u16>().map_err(|_| invalid())?;
        Ok(name_and_port(host, port))
    }
}

impl BindAddrs for String {
    fn to_target(&self) -> io::Result<Target> {
        self.as_str().to_target()
    }
}

impl<T: BindAddrs + ?Sized> BindAddrs for &T {
    fn to_target(&self) -> io::Result<Target> {
        (**self).to_target()
    }
}

impl BindAddrs for (&str, u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(name_and_port(self.0, self.1))
    }
}

impl BindAddrs for (String, u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(name_and_port(&self.0, self.1))
    }
}

impl BindAddrs for (IpAddr, u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(vec![SocketAddr::new(self.0, self.1)]))
    }
}

impl BindAddrs for (Ipv4Addr, u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(vec![SocketAddr::new(self.0.into(), self.1)]))
    }
}

impl BindAddrs for (Ipv6Addr, u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(vec![SocketAddr::new(self.0.into(), self.1)]))
    }
}

impl BindAddrs for ([u8; 4], u16) {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(vec![SocketAddr::from(*self)]))
    }
}

impl BindAddrs for [SocketAddr] {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(self.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let addrs = |t: io::Result<Target>| match t.unwrap() {
            Target::Addrs(v) => v,
            Target::Name(h, p) => panic!("name {h}:{p}"),
        };
        assert_eq!(addrs("127.0.0.1:0".to_target()), ["127.0.0.1:0".parse::<SocketAddr>().unwrap()]);
        assert_eq!(addrs("[::1]:80".to_target()), ["[::1]:80".parse::<SocketAddr>().unwrap()]);
        assert_eq!(addrs(("::1", 8).to_target()), ["[::1]:8".parse::<SocketAddr>().unwrap()]);
        assert!(matches!("localhost:80".to_target().unwrap(), Target::Name(h, 80) if h == "localhost"));
        assert_eq!("nonsense".to_target().unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!("host:99999".to_target().unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
