# Where and what.

variable "aws_region" {
  type        = string
  description = "AWS region to deploy into. Learner Lab accounts allow us-east-1 and us-west-2."
  default     = "us-east-1"
}

variable "aws_credentials_file" {
  type        = string
  description = "AWS shared credentials file, such as the Learner Lab block saved in ./credentials. Empty uses the AWS_* variables or ~/.aws/credentials. deploy sets it when it finds ./credentials."
  default     = ""
}

variable "name" {
  type        = string
  description = "Name prefix for every resource (ECR repository, ECS cluster and service, load balancer, database, cache, log group)."
  default     = "taskoverflow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2 to 21 lower-case letters, digits or hyphens, starting with a letter (it prefixes load balancer and database names, which AWS limits in length)."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones whose default subnets are used (at least two). Empty picks the region's first three zones, which avoids zones such as us-east-1e where Fargate and small cache nodes are not offered."
  default     = []
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "IPv4 ranges allowed to reach the load balancer on ports 80 and 443. Narrow it to your own address (x.x.x.x/32) when the endpoint should not be public."
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  type        = string
  description = "ARN of an ACM certificate for the load balancer. Set, the load balancer serves HTTPS on 443 and redirects HTTP (80) to it with a 301. Empty serves plain HTTP on 80, as Learner Lab does without a certificate; the README shows how to import a self-signed one."
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be empty or the ARN of an ACM certificate (arn:aws:acm:...)."
  }
}

# IAM.

variable "use_existing_iam_role_name" {
  type        = string
  description = "Name of an existing IAM role used as both the ECS task execution role and the task role. Learner Lab accounts cannot create roles and provide LabRole. Empty creates a least-privilege execution role and a task role with no permissions."
  default     = "LabRole"
}

# The service.

variable "image" {
  type        = string
  description = "Container image the service runs. Empty means <ecr repository url>:latest; the deploy driver passes the digest of the image it pushed."
  default     = ""
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU units (1024 = 1 vCPU). The default reproduces the practical's undersized 1 vCPU task; its fix is 4096 with task_memory 8192."
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_cpu)
    error_message = "task_cpu must be one of the Fargate sizes 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB; it must be a size Fargate allows for task_cpu. The default 2048 is the practical's 2 GB; its fix is 8192 with task_cpu 4096."
  default     = 2048
}

variable "desired_count" {
  type        = number
  description = "Number of tasks the service starts with; also the autoscaling minimum."
  default     = 1
}

variable "max_count" {
  type        = number
  description = "Autoscaling maximum number of tasks. Keep max_count * db_max_conns below the database's max_connections (about 80 on db.t3.micro: LEAST(memory/9531392, 5000))."
  default     = 4
}

variable "cpu_target_percent" {
  type        = number
  description = "Target average CPU utilisation of the service, in percent, for target-tracking autoscaling."
  default     = 60
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of the app: debug, info, warn or error. debug logs every SQL statement and Redis command with its request_id."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps the app's log lines."
  default     = 7
}

# Pool and server limits, passed to the container as environment variables.

variable "db_max_conns" {
  type        = number
  description = "DB_MAX_CONNS: Postgres connections per task. max_count * db_max_conns must stay below the database's max_connections."
  default     = 10
}

variable "db_min_conns" {
  type        = number
  description = "DB_MIN_CONNS: Postgres connections each task keeps open when idle."
  default     = 2
}

variable "redis_max_active" {
  type        = string
  description = "REDIS_MAX_ACTIVE: Redis connections per task, a number or \"unlimited\" (which reproduces the dial-per-request incident under load)."
  default     = "32"
}

variable "redis_max_idle" {
  type        = number
  description = "REDIS_MAX_IDLE: idle Redis connections each task keeps for reuse. Far below redis_max_active, bursts dial new connections."
  default     = 32
}

variable "max_conns" {
  type        = number
  description = "MAX_CONNS: client connections one task holds at once; more wait in the kernel's backlog."
  default     = 1024
}

variable "max_inflight" {
  type        = number
  description = "MAX_INFLIGHT: requests one task handles at once; more are answered 503 with Retry-After."
  default     = 256
}

variable "request_timeout" {
  type        = string
  description = "REQUEST_TIMEOUT: longest a request may take, as a Go duration."
  default     = "10s"
}

variable "health_checks_db" {
  type        = bool
  description = "HEALTH_CHECKS_DB: when true, /api/v1/health (the load balancer's health check) waits for Postgres through the pool, which reproduces the overload incident where a slow database made the load balancer pull every task. Keep false outside that experiment."
  default     = false
}

# Backing services.

variable "db_instance_class" {
  type        = string
  description = "RDS instance class for PostgreSQL. db.t3.micro allows about 80 connections."
  default     = "db.t3.micro"
}

variable "db_engine_version" {
  type        = string
  description = "RDS PostgreSQL major version."
  default     = "16"
}

variable "db_allocated_storage" {
  type        = number
  description = "RDS storage in GiB."
  default     = 20
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days RDS keeps automated backups (point-in-time recovery), 1 to 35; 0 turns backups off."
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 0 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be from 0 to 35."
  }
}

variable "db_skip_final_snapshot" {
  type        = bool
  description = "When false (the default), destroying the stack first takes a final snapshot of the database, kept until you delete it. true destroys the data with the stack, for a throwaway lab."
  default     = false
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type for Redis."
  default     = "cache.t3.micro"
}

variable "redis_engine_version" {
  type        = string
  description = "ElastiCache Redis engine version."
  default     = "7.1"
}

# The load generator (terraform/loadgen.tf), for deploy loadtest.

variable "loadgen_enabled" {
  type        = bool
  description = "Create the load generator: its ECS task definition, log group, security group and an S3 bucket for the shards' summaries (deploy loadtest)."
  default     = false
}

variable "loadgen_image" {
  type        = string
  description = "Image holding loadtest at /loadtest. Empty uses <repository>:loadtest, built with docker build --target loadtest."
  default     = ""
}

variable "loadgen_cpu" {
  type        = number
  description = "Fargate CPU units of one load-generator task (one shard)."
  default     = 1024
}

variable "loadgen_memory" {
  type        = number
  description = "Fargate memory in MiB of one load-generator task; a size Fargate allows for loadgen_cpu."
  default     = 2048
}

variable "loadgen_results_expiry_days" {
  type        = number
  description = "Days after which a run's summaries and report in the results bucket are deleted."
  default     = 30

  validation {
    condition     = var.loadgen_results_expiry_days >= 1
    error_message = "loadgen_results_expiry_days must be at least 1."
  }
}
