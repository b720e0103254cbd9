package core

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// kmsCalls is keys.KMSAPI over a *kms.Client, held as method values rather
// than as the client itself: the sealer keeps its KMSAPI in an interface, so
// the linker treats every type its descriptor reaches as usable through
// reflection, and in a program that also calls reflect's MethodByName
// (html/template does, in the authorize function) it would keep every one of
// KMS's ~50 exported operations. Func-typed fields do not lead to the
// client's type, so only these six are linked (store/dynamodb.calls does
// the same for DynamoDB).
type kmsCalls struct {
	generateDataKey     func(context.Context, *kms.GenerateDataKeyInput, ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	decrypt             func(context.Context, *kms.DecryptInput, ...func(*kms.Options)) (*kms.DecryptOutput, error)
	createKey           func(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	getPublicKey        func(context.Context, *kms.GetPublicKeyInput, ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	sign                func(context.Context, *kms.SignInput, ...func(*kms.Options)) (*kms.SignOutput, error)
	scheduleKeyDeletion func(context.Context, *kms.ScheduleKeyDeletionInput, ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error)
}

func newKMSCalls(c *kms.Client) kmsCalls {
	return kmsCalls{generateDataKey: c.GenerateDataKey, decrypt: c.Decrypt, createKey: c.CreateKey,
		getPublicKey: c.GetPublicKey, sign: c.Sign, scheduleKeyDeletion: c.ScheduleKeyDeletion}
}

func (k kmsCalls) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, o ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	return k.generateDataKey(ctx, in, o...)
}

func (k kmsCalls) Decrypt(ctx context.Context, in *kms.DecryptInput, o ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	return k.decrypt(ctx, in, o...)
}

func (k kmsCalls) CreateKey(ctx context.Context, in *kms.CreateKeyInput, o ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	return k.createKey(ctx, in, o...)
}

func (k kmsCalls) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	return k.getPublicKey(ctx, in, o...)
}

func (k kmsCalls) Sign(ctx context.Context, in *kms.SignInput, o ...func(*kms.Options)) (*kms.SignOutput, error) {
	return k.sign(ctx, in, o...)
}

func (k kmsCalls) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	return k.scheduleKeyDeletion(ctx, in, o...)
}
