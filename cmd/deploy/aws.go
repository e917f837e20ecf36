package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// awsFleet is fleet on aws-sdk-go-v2. The SDK, not the aws CLI, because `aws s3 presign` makes
// GET URLs only and the shards need PUT URLs; the SDK lives in this command alone (the server
// and loadtest link none of it).
type awsFleet struct {
	ecs     *ecs.Client
	s3      *s3.Client
	presign *s3.PresignClient
}

var _ fleet = (*awsFleet)(nil)

// newAWSFleet loads the credentials as the AWS tools do (credentialsFile first when set) for
// region.
func newAWSFleet(ctx context.Context, region, credentialsFile string) (*awsFleet, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if credentialsFile != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{credentialsFile}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	s3c := s3.NewFromConfig(cfg)
	return &awsFleet{ecs: ecs.NewFromConfig(cfg), s3: s3c, presign: s3.NewPresignClient(s3c)}, nil
}

func (a *awsFleet) RunTask(ctx context.Context, t taskSpec) (string, error) {
	var env []ecstypes.KeyValuePair
	for k, v := range t.Env {
		env = append(env, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	out, err := a.ecs.RunTask(ctx, &ecs.RunTaskInput{
		Cluster:        aws.String(t.Cluster),
		TaskDefinition: aws.String(t.TaskDefinition),
		Count:          aws.Int32(1),
		LaunchType:     ecstypes.LaunchTypeFargate,
		StartedBy:      aws.String(t.StartedBy),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        t.Subnets,
			SecurityGroups: t.SecurityGroups,
			// Default subnets are public: the task reaches ECR, S3 and the load balancer
			// through its public address.
			AssignPublicIp: ecstypes.AssignPublicIpEnabled,
		}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name:        aws.String(t.Container),
			Command:     t.Command,
			Environment: env,
		}}},
	})
	if err != nil {
		return "", err
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		return "", fmt.Errorf("RunTask failure: %s %s", aws.ToString(f.Reason), aws.ToString(f.Detail))
	}
	if len(out.Tasks) != 1 {
		return "", fmt.Errorf("RunTask started %d tasks, want 1", len(out.Tasks))
	}
	return aws.ToString(out.Tasks[0].TaskArn), nil
}

func (a *awsFleet) DescribeTasks(ctx context.Context, cluster string, arns []string) ([]taskState, error) {
	var states []taskState
	for i := 0; i < len(arns); i += 100 { // DescribeTasks takes 100 at most
		batch := arns[i:min(i+100, len(arns))]
		out, err := a.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			return nil, err
		}
		for _, t := range out.Tasks {
			st := taskState{
				ARN:           aws.ToString(t.TaskArn),
				LastStatus:    aws.ToString(t.LastStatus),
				StopCode:      string(t.StopCode),
				StoppedReason: aws.ToString(t.StoppedReason),
			}
			for _, c := range t.Containers {
				if c.ExitCode != nil {
					code := int(*c.ExitCode)
					st.ExitCode = &code
				}
			}
			states = append(states, st)
		}
	}
	return states, nil
}

func (a *awsFleet) StopTask(ctx context.Context, cluster, arn, reason string) error {
	_, err := a.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn), Reason: aws.String(reason)})
	return err
}

func (a *awsFleet) PresignPut(ctx context.Context, bucket, key string, ttl time.Duration) (string, error) {
	req, err := a.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}

func (a *awsFleet) GetObject(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, fmt.Errorf("%w: %v", errNoObject, err)
	}
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (a *awsFleet) PutObject(ctx context.Context, bucket, key, contentType string, body []byte) error {
	_, err := a.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: aws.String(contentType), Body: bytes.NewReader(body),
	})
	return err
}
