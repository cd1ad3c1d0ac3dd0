"""Core tables: tenancy, staff auth, plans, audit log, friends; seeds the default plans.

Revision ID: core_0001
Revises:
Create Date: 2026-11-22 12:27:33.036964
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_email_at", ["email", "at"], unique=False)
        batch_op.create_index("ix_login_attempts_ip_at", ["ip", "at"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_ja", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column(
            "allowed_plugins",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("staff_seats", sa.Integer(), nullable=True),
        sa.Column("friends_limit", sa.Integer(), nullable=True),
        sa.Column("monthly_messages", sa.Integer(), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tier IN ('start', 'standard', 'pro')", name=op.f("ck_plans_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("key", name=op.f("uq_plans_key")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_platform_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "agency_memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'operator', 'viewer')", name=op.f("ck_agency_memberships_role")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agency_memberships_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agency_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_memberships")),
        sa.UniqueConstraint("agency_id", "user_id", name=op.f("uq_agency_memberships_agency_id_user_id")),
    )
    with op.batch_alter_table("agency_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_agency_memberships_user", ["user_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_api_tokens_user", ["user_id"], unique=False)

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_staff_sessions_user", ["user_id"], unique=False)

    op.create_table(
        "workspaces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("line_channel_id", sa.String(length=32), nullable=False),
        sa.Column("line_channel_secret", sa.LargeBinary(), nullable=False),
        sa.Column("line_access_token", sa.LargeBinary(), nullable=False),
        sa.Column("webhook_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_workspaces_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_workspaces_plan_id_plans"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("line_channel_id", name=op.f("uq_workspaces_line_channel_id")),
        sa.UniqueConstraint("webhook_token", name=op.f("uq_workspaces_webhook_token")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_index("ix_workspaces_agency", ["agency_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("api_token_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "target",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_audit_log_api_token_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_audit_log_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index("ix_audit_log_workspace_id_id", ["workspace_id", "id"], unique=False)

    op.create_table(
        "friends",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_user_id", sa.String(length=33), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("picture_url", sa.String(length=1000), nullable=True),
        sa.Column("status_message", sa.String(length=1000), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("followed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("status IN ('following', 'blocked')", name=op.f("ck_friends_status")),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_friends_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friends")),
        sa.UniqueConstraint("workspace_id", "line_user_id", name=op.f("uq_friends_workspace_id_line_user_id")),
    )
    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.create_index("ix_friends_workspace_followed_at", ["workspace_id", "followed_at"], unique=False)
        batch_op.create_index("ix_friends_workspace_status", ["workspace_id", "status"], unique=False)

    op.create_table(
        "role_grants",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("permission", sa.String(length=128), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'operator', 'viewer')", name=op.f("ck_role_grants_role")),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_role_grants_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint(
            "workspace_id", "role", "permission", name=op.f("uq_role_grants_workspace_id_role_permission")
        ),
    )
    op.create_table(
        "workspace_memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'operator', 'viewer')", name=op.f("ck_workspace_memberships_role")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workspace_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_memberships_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_memberships")),
        sa.UniqueConstraint("workspace_id", "user_id", name=op.f("uq_workspace_memberships_workspace_id_user_id")),
    )
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_workspace_memberships_user", ["user_id"], unique=False)

    op.create_table(
        "workspace_plugins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plugin", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("disabled_reason", sa.String(length=32), nullable=True),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_plugins_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_plugins")),
        sa.UniqueConstraint("workspace_id", "plugin", name=op.f("uq_workspace_plugins_workspace_id_plugin")),
    )

    # The default plans (a platform admin can change them or add more).
    plans = sa.table(
        "plans",
        sa.column("key", sa.String),
        sa.column("name_ja", sa.String),
        sa.column("name_en", sa.String),
        sa.column("tier", sa.String),
        sa.column("staff_seats", sa.Integer),
        sa.column("friends_limit", sa.Integer),
        sa.column("monthly_messages", sa.Integer),
        sa.column("created_at", enishi.db.base.UTCDateTime()),
    )
    now = enishi.db.base.utcnow()
    op.bulk_insert(
        plans,
        [
            {
                "key": "start",
                "name_ja": "スタート",
                "name_en": "Start",
                "tier": "start",
                "staff_seats": 2,
                "friends_limit": 5000,
                "monthly_messages": 5000,
                "created_at": now,
            },
            {
                "key": "standard",
                "name_ja": "スタンダード",
                "name_en": "Standard",
                "tier": "standard",
                "staff_seats": 10,
                "friends_limit": 50000,
                "monthly_messages": 30000,
                "created_at": now,
            },
            {
                "key": "pro",
                "name_ja": "プロ",
                "name_en": "Pro",
                "tier": "pro",
                "staff_seats": None,
                "friends_limit": None,
                "monthly_messages": None,
                "created_at": now,
            },
        ],
    )


def downgrade() -> None:

    op.drop_table("workspace_plugins")
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_workspace_memberships_user")

    op.drop_table("workspace_memberships")
    op.drop_table("role_grants")
    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.drop_index("ix_friends_workspace_status")
        batch_op.drop_index("ix_friends_workspace_followed_at")

    op.drop_table("friends")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_workspace_id_id")
        batch_op.drop_index("ix_audit_log_user_id_id")

    op.drop_table("audit_log")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index("ix_workspaces_agency")

    op.drop_table("workspaces")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_sessions_user")

    op.drop_table("staff_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_api_tokens_user")

    op.drop_table("api_tokens")
    with op.batch_alter_table("agency_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_agency_memberships_user")

    op.drop_table("agency_memberships")
    op.drop_table("users")
    op.drop_table("plans")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_ip_at")
        batch_op.drop_index("ix_login_attempts_email_at")

    op.drop_table("login_attempts")
    op.drop_table("agencies")
