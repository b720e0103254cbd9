package dynamodb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// calls are the six DynamoDB operations the engine makes, held as method
// values rather than as the *dynamodb.Client. A Table is stored in an
// interface (table.Table), so the linker treats every type reachable from
// its type descriptor as usable through reflection; when the program also
// calls reflect's MethodByName (html/template does, in the authorize
// function), it then keeps every exported method of those types. Holding
// the client itself would keep all of DynamoDB's ~60 operations with their
// serializers (~3 MB per bootstrap); func-typed fields do not lead to the
// client's type, so only these six are linked.
type calls struct {
	getItem            func(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	putItem            func(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	updateItem         func(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	deleteItem         func(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	query              func(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	transactWriteItems func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

func callsOf(c *dynamodb.Client) calls {
	return calls{getItem: c.GetItem, putItem: c.PutItem, updateItem: c.UpdateItem, deleteItem: c.DeleteItem,
		query: c.Query, transactWriteItems: c.TransactWriteItems}
}
