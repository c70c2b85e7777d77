"""What the platform tests share: the platform's key, login links, provisioned shops."""

from adapters.panel.auth import PLATFORM_KEY_STATE
from bot import shops
from storage import repositories as repo

PLATFORM_KEY = "platform-key-for-tests-0123456789"


def install_platform_key(services, key: str = PLATFORM_KEY) -> dict[str, str]:
    """Store the key's hash as `pomoc platform key` does; returns its Authorization header."""
    with services.db.transaction() as session:
        repo.set_sync_state(
            session, PLATFORM_KEY_STATE, repo.hash_token(key), services.ctx.clock.now()
        )
    return {"Authorization": f"Bearer {key}"}


def link_for(services, shop_token: str) -> str:
    """A fresh single-use login link (what follows `#`) for the shop owning `shop_token`."""
    with services.db.transaction() as session:
        shop = repo.shop_by_token(session, shop_token)
        token, _ = shops.issue_link(session, shop, now=services.ctx.clock.now())
    return f"link={token}"


def same_origin(client) -> dict[str, str]:
    return {"Origin": str(client.base_url).rstrip("/")}
