"""`motcua citizens token <id-number> <name>`: a development token for the applicants' API
(R-8.1). In production applicants bring the national e-identity's token (MOTCUA_CITIZEN_ISSUER)."""
from __future__ import annotations

import argparse
import sys

from api.citizen_tokens import CitizenTokenService
from api.config import ApiSettings
from engine.clock import SystemClock
from engine.domain.applicant import Applicant


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("citizens", help="applicants (development tokens)")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("token", help="print a development token for an applicant (/api/public)")
    c.add_argument("id_number", help="citizen ID number, 12 digits")
    c.add_argument("name", help="the applicant's name, as on the ID card")
    c.set_defaults(func=_token)


def _token(args: argparse.Namespace) -> None:
    applicant = Applicant(args.id_number, args.name)  # ApplicantInvalid is a ValueError: one line, exit 1
    token, expires = CitizenTokenService(ApiSettings.from_env()).issue(applicant, SystemClock().now())
    print(token)
    print(f"valid until {expires.isoformat()}", file=sys.stderr)
