# The app on ECS Fargate behind the load balancer, with CPU target-tracking autoscaling.

locals {
  app_port     = 6400
  metrics_port = 9464 # METRICS_ADDR: in no target group, open in no security group
  db_name      = "taskoverflow"
  db_user      = "taskoverflow"     # the RDS master user: the migrate container only
  db_app_user  = "taskoverflow_app" # the app's own role, made by `taskoverflow migrate`
  image        = var.image != "" ? var.image : "${aws_ecr_repository.app.repository_url}:latest"

  # The app's plain environment. Every name here is one the app reads (package config), and the
  # same names are set in docker-compose.yml; a test fails when either drifts. No password is
  # here: the URLs carry none, DB_PASSWORD and REDIS_PASSWORD come from SSM as secrets below.
  # Postgres is reached over TLS with the server's certificate and host name checked against
  # the RDS CA bundle the image holds (Dockerfile); Redis over TLS (rediss://) with AUTH.
  app_environment = {
    ADDR             = ":${local.app_port}"
    METRICS_ADDR     = ":${local.metrics_port}"
    TRUSTED_PROXIES  = data.aws_vpc.default.cidr_block
    DATABASE_URL     = "postgres://${local.db_app_user}@${aws_db_instance.db.address}:${aws_db_instance.db.port}/${local.db_name}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem"
    REDIS_URL        = "rediss://${aws_elasticache_replication_group.redis.primary_endpoint_address}:${aws_elasticache_replication_group.redis.port}/0"
    LOG_FORMAT       = "json"
    LOG_LEVEL        = var.log_level
    DB_MAX_CONNS     = tostring(var.db_max_conns)
    DB_MIN_CONNS     = tostring(var.db_min_conns)
    REDIS_MAX_ACTIVE = var.redis_max_active
    REDIS_MAX_IDLE   = tostring(var.redis_max_idle)
    MAX_CONNS        = tostring(var.max_conns)
    MAX_INFLIGHT     = tostring(var.max_inflight)
    REQUEST_TIMEOUT  = var.request_timeout
    HEALTH_CHECKS_DB = tostring(var.health_checks_db)
  }

  # The migrate container's: the master user, to create or update the app's role, then the
  # migrations run as that role so that it owns the tables.
  migrate_environment = {
    DATABASE_URL = "postgres://${local.db_user}@${aws_db_instance.db.address}:${aws_db_instance.db.port}/${local.db_name}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem"
    DB_APP_USER  = local.db_app_user
    LOG_FORMAT   = "json"
    LOG_LEVEL    = var.log_level
  }
}

resource "aws_ecs_cluster" "app" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "disabled"
  }
}

resource "aws_ecs_task_definition" "app" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = local.execution_role_arn
  task_role_arn            = local.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Two containers: migrate runs first, as the master user, and exits; the app starts once it
  # succeeded. Each container gets only its own secrets.
  container_definitions = jsonencode([{
    name      = "migrate"
    image     = local.image
    essential = false
    command   = ["migrate"]

    environment = [for name, value in local.migrate_environment : { name = name, value = value }]

    secrets = [
      { name = "DB_PASSWORD", valueFrom = aws_ssm_parameter.db_password.arn },
      { name = "DB_APP_PASSWORD", valueFrom = aws_ssm_parameter.db_app_password.arn },
    ]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "migrate"
      }
    }
    }, {
    name      = "app"
    image     = local.image
    essential = true

    dependsOn = [{ containerName = "migrate", condition = "SUCCESS" }]

    portMappings = [{
      containerPort = local.app_port
      protocol      = "tcp"
    }]

    environment = [for name, value in local.app_environment : { name = name, value = value }]

    secrets = [
      { name = "DB_PASSWORD", valueFrom = aws_ssm_parameter.db_app_password.arn },
      { name = "REDIS_PASSWORD", valueFrom = aws_ssm_parameter.redis_auth_token.arn },
    ]

    # One instance must hold many connections: raise the open-file limit explicitly.
    ulimits = [{
      name      = "nofile"
      softLimit = 65535
      hardLimit = 65535
    }]

    healthCheck = {
      command     = ["CMD", "/taskoverflow", "healthcheck"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }

    # ECS deregisters the task from the load balancer, then sends SIGTERM; the app drains
    # in-flight requests within SHUTDOWN_TIMEOUT (15s by default), well inside this bound.
    stopTimeout = 30

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "app"
      }
    }
  }])
}

resource "aws_ecs_service" "app" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.app.id
  task_definition                   = aws_ecs_task_definition.app.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 60

  network_configuration {
    subnets          = data.aws_subnets.default.ids
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = true
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "app"
    container_port   = local.app_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Autoscaling owns the running count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener_rule.api]
}

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.app.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.desired_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 180

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
