# Postgres (RDS) and Redis (ElastiCache), reachable only from the app's security group.

# The database password is generated here, stored as an SSM SecureString and handed to the task
# as the DB_PASSWORD secret. It never appears in the task's plain environment, in DATABASE_URL or
# in an output; like every managed password it is in the Terraform state, which stays local.
resource "random_password" "db" {
  length           = 32
  special          = true
  override_special = "!#%*()-_=+[]{}<>:?"
}

resource "aws_ssm_parameter" "db_password" {
  name        = "/${var.name}/db-password"
  description = "Password of the ${var.name} Postgres user, read by the ECS task as DB_PASSWORD"
  type        = "SecureString"
  value       = random_password.db.result
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

  # A lab database: destroy removes it without a final snapshot.
  skip_final_snapshot     = true
  deletion_protection     = false
  backup_retention_period = 0
  apply_immediately       = true
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = var.name
  subnet_ids = data.aws_subnets.default.ids
}

resource "aws_elasticache_cluster" "redis" {
  cluster_id           = var.name
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  num_cache_nodes      = 1
  port                 = 6379
  parameter_group_name = "default.redis7"
  subnet_group_name    = aws_elasticache_subnet_group.redis.name
  security_group_ids   = [aws_security_group.redis.id]
  apply_immediately    = true
}
