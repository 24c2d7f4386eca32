//! TCP checks: a connection is the whole test.

use pharos_domain::check::ErrorClass;

use crate::outcome::{Fail, Judged, Trace};
use crate::prober::ProbeContext;
use crate::{connector, guard};
use pharos_domain::check_spec::TcpCheck;

pub(crate) async fn check(ctx: &ProbeContext, spec: &TcpCheck, trace: &mut Trace) -> Judged {
    let host = pharos_domain::check_spec::parse_host(&spec.host)
        .map_err(|e| Fail::new(ErrorClass::Protocol, format!("invalid check: {e}")))?;
    let addrs = guard::resolve(ctx.resolver.as_ref(), &ctx.settings.policy, &host, trace).await?;
    let _stream = connector::connect(&addrs, spec.port, trace).await?;
    Ok(None)
}
