# The app on ECS Fargate behind the load balancer, with CPU target-tracking autoscaling.

locals {
  app_port = 6400
  db_name  = "taskoverflow"
  db_user  = "taskoverflow"
  image    = var.image != "" ? var.image : "${aws_ecr_repository.app.repository_url}:latest"

  # The app's plain environment. Every name here is one the app reads (package config), and the
  # same names are set in docker-compose.yml; a test fails when either drifts. The password is
  # not here: DATABASE_URL carries none and DB_PASSWORD comes from SSM as a secret below.
  app_environment = {
    ADDR             = ":${local.app_port}"
    DATABASE_URL     = "postgres://${local.db_user}@${aws_db_instance.db.address}:${aws_db_instance.db.port}/${local.db_name}?sslmode=require"
    REDIS_URL        = "redis://${aws_elasticache_cluster.redis.cache_nodes[0].address}:${aws_elasticache_cluster.redis.port}/0"
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

  container_definitions = jsonencode([{
    name      = "app"
    image     = local.image
    essential = true

    portMappings = [{
      containerPort = local.app_port
      protocol      = "tcp"
    }]

    environment = [for name, value in local.app_environment : { name = name, value = value }]

    secrets = [{
      name      = "DB_PASSWORD"
      valueFrom = aws_ssm_parameter.db_password.arn
    }]

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

  depends_on = [aws_lb_listener.http]
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
