"""Typed keys for everything the application and its requests carry."""

from __future__ import annotations

from aiohttp import web

from app.domain.record import record
from app.domain.records import Workspace
from app.domain.templates import TemplateCatalog
from app.http.access_log import AccessLog
from app.http.in_flight import InFlightRequests
from app.http.metrics import Metrics
from app.http.template_documents import TemplateDocuments
from app.http.validation import ParsedQueries
from app.services.auth import AccessRule, Authenticator, Principal
from app.services.daily_budget import DailyBudget
from app.services.grants import GrantService
from app.services.images import ImageService
from app.services.login_throttle import LoginThrottle
from app.services.oauth import AuthorizationServer
from app.services.oauth_clients import ClientRegistry
from app.services.passports import PassportService
from app.services.products import ProductService
from app.services.public_passports import PublicPassports
from app.services.registration_limit import RegistrationLimiter
from app.services.users import UserService
from app.services.write_pipeline import WritePipeline
from app.settings import Settings
from app.storage.protocols import Storage


@record
class Services:
    """Built once the storage is open (cleanup_ctx); handlers reach use cases through this."""

    catalog: TemplateCatalog
    authenticator: Authenticator
    products: ProductService
    images: ImageService
    passports: PassportService
    reads: DailyBudget  # the per-plan read cap (no plan seeds one by default)
    writes: WritePipeline
    public_passports: PublicPassports  # the GS1 Digital Link resolver (no workspace)
    users: UserService
    clients: ClientRegistry
    oauth: AuthorizationServer
    grants: GrantService
    registrations: RegistrationLimiter


SETTINGS = web.AppKey("settings", Settings)
STORAGE = web.AppKey("storage", Storage)
SERVICES = web.AppKey("services", Services)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", bytes)
IN_FLIGHT = web.AppKey("in_flight", InFlightRequests)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)
PARSED_QUERIES = web.AppKey("parsed_queries", ParsedQueries)
TEMPLATE_DOCUMENTS = web.AppKey("template_documents", TemplateDocuments)
# Route name -> what an OAuth principal needs there (scope ∩ role), from the route table.
ACCESS_RULES = web.AppKey("access_rules", dict[str, AccessRule])
# Signs and encrypts browser sessions and CSRF tokens: SESSION_SECRET, or random per process.
SESSION_SECRET = web.AppKey("session_secret", bytes)
# Failed sign-ins per email and per peer address (oauth.md §5.2), per process.
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)

# Per-request values (request[...]).
REQUEST_ID = web.RequestKey("request_id", str)
WORKSPACE = web.RequestKey("workspace", Workspace)
PRINCIPAL = web.RequestKey("principal", Principal)
