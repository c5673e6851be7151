//! Opening a connection: to the first node of `AMQP_URL` that answers, with small frames, and
//! its one channel in the supervisor's mode.

use lapin::options::{BasicQosOptions, ConfirmSelectOptions};
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};

use super::timeout::bounded;
use super::{ChannelMode, FRAME_MAX, Supervisor};

impl Supervisor {
    /// Connects to the first URL that answers, starting with [`Supervisor::next`]; the
    /// connection and the index of its URL, or the last URL's error.
    pub(super) async fn connect_any(&self) -> lapin::Result<((Connection, Channel), usize)> {
        let mut last = None;
        for offset in 0..self.urls.len() {
            let node = (self.next + offset) % self.urls.len();
            match bounded(connect(&self.urls[node], self.name, self.mode)).await {
                Ok(pair) => {
                    if self.urls.len() > 1 {
                        tracing::info!(node = %redacted_host(&self.urls[node]), "connected to the broker");
                    }
                    return Ok((pair, node));
                }
                Err(error) => {
                    if self.urls.len() > 1 {
                        tracing::warn!(%error, node = %redacted_host(&self.urls[node]), "a broker node does not answer; trying the next");
                    }
                    last = Some(error);
                }
            }
        }
        Err(last.unwrap_or_else(|| {
            lapin::Error::from(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no AMQP_URL",
            ))
        }))
    }
}

/// The host and port of an AMQP URL, for logs (never its credentials).
fn redacted_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('/').next().unwrap_or(rest)
}

/// Opens a connection named `name` and a channel in `mode`.
pub(super) async fn connect(
    url: &str,
    name: &str,
    mode: ChannelMode,
) -> lapin::Result<(Connection, Channel)> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    let connection = Connection::connect_uri(with_small_frames(url)?, properties).await?;
    let channel = connection.create_channel().await?;
    match mode {
        ChannelMode::Confirms => {
            channel
                .confirm_select(ConfirmSelectOptions { nowait: false })
                .await?;
        }
        ChannelMode::Prefetch(prefetch) => {
            channel
                .basic_qos(prefetch, BasicQosOptions { global: false })
                .await?;
        }
    }
    Ok((connection, channel))
}

/// `url` parsed, with [`FRAME_MAX`] unless it sets its own `frame_max`.
fn with_small_frames(url: &str) -> lapin::Result<AMQPUri> {
    let mut uri: AMQPUri = url
        .parse()
        .map_err(|error: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
}
