# Postgres (RDS) and Redis (ElastiCache), reachable only from the app's security group, both
# over TLS whose certificates the app checks.

# Passwords are generated here and stored as SSM SecureStrings, handed to the task as secrets.
# None appears in the task's plain environment, in a URL or in an output; like every managed
# password they are in the Terraform state, which stays local.
#
# The master password reaches only the task's migrate container, which creates the app's own
# role (DB_APP_USER) with the app password; the app container gets the app password alone.
resource "random_password" "db" {
  length           = 32
  special          = true
  override_special = "!#%*()-_=+[]{}<>:?"
}

resource "aws_ssm_parameter" "db_password" {
  name        = "/${var.name}/db-password"
  description = "Password of the ${var.name} Postgres master user, read by the migrate container only"
  type        = "SecureString"
  value       = random_password.db.result
}

resource "random_password" "db_app" {
  length           = 32
  special          = true
  override_special = "!#%*()-_=+[]{}<>:?"
}

resource "aws_ssm_parameter" "db_app_password" {
  name        = "/${var.name}/db-app-password"
  description = "Password of the ${var.name} app's own Postgres role, read by the app as DB_PASSWORD"
  type        = "SecureString"
  value       = random_password.db_app.result
}

# ElastiCache AUTH token: 16 to 128 printable characters; letters and digits only here.
resource "random_password" "redis_auth" {
  length  = 64
  special = false
}

resource "aws_ssm_parameter" "redis_auth_token" {
  name        = "/${var.name}/redis-auth-token"
  description = "AUTH token of the ${var.name} Redis, read by the app as REDIS_PASSWORD"
  type        = "SecureString"
  value       = random_password.redis_auth.result
}

# Names the final snapshot uniquely, so a stack destroyed and made again does not collide
# with the snapshot the last one left.
resource "random_id" "final_snapshot" {
  byte_length = 4
}

resource "aws_db_subnet_group" "db" {
  name       = var.name
  subnet_ids = data.aws_subnets.default.ids
}

resource "aws_db_instance" "db" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage = var.db_allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true

  db_name  = local.db_name
  username = local.db_user
  password = random_password.db.result

  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = false

  # The server certificate the app checks (sslmode=verify-full) against the RDS CA bundle in
  # the image. RDS for PostgreSQL 15 and later refuses connections without TLS (rds.force_ssl).
  ca_cert_identifier = "rds-ca-rsa2048-g1"

  # Backups on by default; destroy keeps a final snapshot unless told otherwise. Deletion
  # protection stays off so that `deploy down` can remove the stack.
  backup_retention_period   = var.db_backup_retention_days
  skip_final_snapshot       = var.db_skip_final_snapshot
  final_snapshot_identifier = "${var.name}-final-${random_id.final_snapshot.hex}"
  deletion_protection       = false
  apply_immediately         = true
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = var.name
  subnet_ids = data.aws_subnets.default.ids
}

# One Redis node as a replication group, the resource that takes transit encryption and an
# AUTH token: the app dials rediss:// (TLS, certificate checked against the system's roots)
# and authenticates with REDIS_PASSWORD.
resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = var.name
  description                = "Sessions of ${var.name}"
  engine                     = "redis"
  engine_version             = var.redis_engine_version
  node_type                  = var.redis_node_type
  num_cache_clusters         = 1
  automatic_failover_enabled = false
  port                       = 6379
  parameter_group_name       = "default.redis7"
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.redis.id]
  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result
  apply_immediately          = true
}
