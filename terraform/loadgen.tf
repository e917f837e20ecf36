# The load generator, off unless loadgen_enabled: a Fargate task definition whose image holds
# loadtest (the Dockerfile's loadtest target, pushed as <repository>:loadtest), its log group,
# and a private S3 bucket for the shards' summaries. `deploy loadtest --shards N` starts one
# task per shard (RunTask with its own SHARD_INDEX), hands each a presigned PUT URL for
# runs/<run id>/shard-<i>.json, then merges them. The tasks call no AWS API themselves: the URL
# carries the permission, so the task role needs none, and LabRole works as it is.

locals {
  loadgen_count     = var.loadgen_enabled ? 1 : 0
  loadgen_image     = var.loadgen_image != "" ? var.loadgen_image : "${aws_ecr_repository.app.repository_url}:loadtest"
  loadgen_container = "loadtest"
}

resource "aws_cloudwatch_log_group" "loadgen" {
  count             = local.loadgen_count
  name              = "/ecs/${var.name}-loadgen"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "loadgen" {
  count                    = local.loadgen_count
  family                   = "${var.name}-loadgen"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.loadgen_cpu
  memory                   = var.loadgen_memory
  execution_role_arn       = local.execution_role_arn
  task_role_arn            = local.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # One container; deploy loadtest sets its command (run SCENARIO ... --out <presigned URL>)
  # and its SHARD_INDEX and SHARD_COUNT per task.
  container_definitions = jsonencode([{
    name      = local.loadgen_container
    image     = local.loadgen_image
    essential = true

    # Thousands of VUs hold thousands of connections.
    ulimits = [{
      name      = "nofile"
      softLimit = 65535
      hardLimit = 65535
    }]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.loadgen[0].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "shard"
      }
    }
  }])
}

resource "aws_security_group" "loadgen" {
  count       = local.loadgen_count
  name        = "${var.name}-loadgen"
  description = "Load generator tasks: nothing in; out to the load balancer and AWS APIs"
  vpc_id      = data.aws_vpc.default.id
}

resource "aws_vpc_security_group_egress_rule" "loadgen_http" {
  count             = local.loadgen_count
  security_group_id = aws_security_group.loadgen[0].id
  description       = "HTTP to the load balancer's public address"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "loadgen_https" {
  count             = local.loadgen_count
  security_group_id = aws_security_group.loadgen[0].id
  description       = "HTTPS to the load balancer, ECR, CloudWatch Logs and S3"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The execution role deploy creates (no LabRole) may write to this log group too; it already
# pulls from the repository.
data "aws_iam_policy_document" "loadgen_execution" {
  count = local.loadgen_count
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.loadgen[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "loadgen_execution" {
  count  = local.create_roles ? local.loadgen_count : 0
  name   = "${var.name}-loadgen-execution"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.loadgen_execution[0].json
}

# The results: private, encrypted, old runs expire.
resource "aws_s3_bucket" "results" {
  count         = local.loadgen_count
  bucket_prefix = "${var.name}-results-"
  force_destroy = true # deploy down removes the runs with the bucket
}

resource "aws_s3_bucket_public_access_block" "results" {
  count                   = local.loadgen_count
  bucket                  = aws_s3_bucket.results[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "results" {
  count  = local.loadgen_count
  bucket = aws_s3_bucket.results[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  count  = local.loadgen_count
  bucket = aws_s3_bucket.results[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  count  = local.loadgen_count
  bucket = aws_s3_bucket.results[0].id
  rule {
    id     = "expire-runs"
    status = "Enabled"
    filter {
      prefix = "runs/"
    }
    expiration {
      days = var.loadgen_results_expiry_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
