# Roles of the ECS task. With use_existing_iam_role_name set (LabRole by default, since Learner
# Lab accounts cannot create roles) that role is both the execution role and the task role.
# Otherwise two roles are created: an execution role that may pull this repository's image, read
# these parameters and write to this log group, and a task role with no permissions (the app
# calls no AWS API).

locals {
  create_roles       = var.use_existing_iam_role_name == ""
  execution_role_arn = local.create_roles ? aws_iam_role.execution[0].arn : data.aws_iam_role.existing[0].arn
  task_role_arn      = local.create_roles ? aws_iam_role.task[0].arn : data.aws_iam_role.existing[0].arn
}

data "aws_iam_role" "existing" {
  count = local.create_roles ? 0 : 1
  name  = var.use_existing_iam_role_name
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  count              = local.create_roles ? 1 : 0
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PullImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchGetImage",
    ]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.app.arn}:*"]
  }

  statement {
    sid     = "ReadSecrets"
    actions = ["ssm:GetParameters"]
    resources = [
      aws_ssm_parameter.db_password.arn,
      aws_ssm_parameter.db_app_password.arn,
      aws_ssm_parameter.redis_auth_token.arn,
    ]
  }
}

resource "aws_iam_role_policy" "execution" {
  count  = local.create_roles ? 1 : 0
  name   = "${var.name}-execution"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  count              = local.create_roles ? 1 : 0
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}
