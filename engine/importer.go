package engine

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path"
	"reflect"
	"strings"
)

// symbolImporter gives go/types a view of the packages the interpreter can
// import. Compiled packages are described from their yaegi symbol tables by
// reflection, so the type checker accepts exactly what the interpreter can
// call and needs no Go installation at run time. Packages the interpreter
// loads from source (slices, maps, cmp, iter) are type-checked from that
// same source.
type symbolImporter struct {
	exports map[string]map[string]reflect.Value // by import path
	names   map[string]string                   // package name by import path
	sources map[string]string                   // interpreted packages by import path
	fset    *token.FileSet

	pkgs  map[string]*types.Package
	types map[reflect.Type]types.Type
	// checking guards against import cycles among source packages.
	checking   map[string]bool
	inProgress map[reflect.Type]bool
}

func newSymbolImporter(fset *token.FileSet, exports map[string]map[string]reflect.Value, sources map[string]string) *symbolImporter {
	im := &symbolImporter{
		exports:    map[string]map[string]reflect.Value{},
		names:      map[string]string{},
		sources:    sources,
		fset:       fset,
		pkgs:       map[string]*types.Package{},
		types:      map[reflect.Type]types.Type{},
		checking:   map[string]bool{},
		inProgress: map[reflect.Type]bool{},
	}
	for key, syms := range exports {
		dir, name := path.Dir(key), path.Base(key)
		if dir == "." {
			continue
		}
		if im.exports[dir] == nil {
			im.exports[dir] = map[string]reflect.Value{}
		}
		for k, v := range syms {
			im.exports[dir][k] = v
		}
		im.names[dir] = name
	}
	return im
}

func (im *symbolImporter) Import(p string) (*types.Package, error) {
	if pkg, ok := im.pkgs[p]; ok && pkg.Complete() {
		return pkg, nil
	}
	if src, ok := im.sources[p]; ok {
		return im.importSource(p, src)
	}
	syms, ok := im.exports[p]
	if !ok {
		return nil, fmt.Errorf("package %s is not available in the interpreter", p)
	}
	pkg := im.pkg(p)
	scope := pkg.Scope()
	for name, v := range syms {
		if strings.HasPrefix(name, "_") || scope.Lookup(name) != nil {
			continue
		}
		if obj := im.object(pkg, name, v); obj != nil {
			scope.Insert(obj)
		}
	}
	im.addStdGenerics(pkg)
	pkg.MarkComplete()
	return pkg, nil
}

func (im *symbolImporter) importSource(p, src string) (*types.Package, error) {
	if im.checking[p] {
		return nil, fmt.Errorf("import cycle through %s", p)
	}
	im.checking[p] = true
	defer delete(im.checking, p)
	f, err := parseFile(im.fset, p+".go", src)
	if err != nil {
		return nil, err
	}
	conf := types.Config{Importer: im}
	pkg, err := conf.Check(p, im.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, fmt.Errorf("checking interpreted package %s: %w", p, err)
	}
	im.pkgs[p] = pkg
	return pkg, nil
}

// pkg returns the package for path, creating an incomplete one for packages
// that only appear in the types of other packages' symbols.
func (im *symbolImporter) pkg(p string) *types.Package {
	if pkg, ok := im.pkgs[p]; ok {
		return pkg
	}
	name := im.names[p]
	if name == "" {
		name = path.Base(p)
		if strings.HasPrefix(name, "v") && strings.Contains(p, "/") && isAllDigits(name[1:]) {
			name = path.Base(path.Dir(p))
		}
	}
	pkg := types.NewPackage(p, name)
	im.pkgs[p] = pkg
	return pkg
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

var constantValueType = reflect.TypeOf((*constant.Value)(nil)).Elem()

func (im *symbolImporter) object(pkg *types.Package, name string, v reflect.Value) types.Object {
	switch {
	case v.CanAddr():
		return types.NewVar(token.NoPos, pkg, name, im.typeOf(v.Type()))
	case v.Kind() == reflect.Pointer && v.IsNil():
		// Types are exported as a nil pointer to the type.
		t := im.typeOf(v.Type().Elem())
		if named, ok := t.(*types.Named); ok && named.Obj().Name() == name && named.Obj().Pkg() == pkg {
			return named.Obj()
		}
		// An alias, or a type whose reflect name differs.
		return types.NewTypeName(token.NoPos, pkg, name, t)
	case v.Kind() == reflect.Func:
		sig, _ := im.typeOf(v.Type()).(*types.Signature)
		if sig == nil {
			return nil
		}
		return types.NewFunc(token.NoPos, pkg, name, sig)
	case v.Type().Implements(constantValueType):
		c := v.Interface().(constant.Value)
		return types.NewConst(token.NoPos, pkg, name, types.Typ[untypedKind(c)], c)
	default:
		if c := constantOf(v); c != nil {
			return types.NewConst(token.NoPos, pkg, name, im.typeOf(v.Type()), c)
		}
		return types.NewVar(token.NoPos, pkg, name, im.typeOf(v.Type()))
	}
}

func untypedKind(c constant.Value) types.BasicKind {
	switch c.Kind() {
	case constant.Bool:
		return types.UntypedBool
	case constant.String:
		return types.UntypedString
	case constant.Float:
		return types.UntypedFloat
	case constant.Complex:
		return types.UntypedComplex
	default:
		return types.UntypedInt
	}
}

func constantOf(v reflect.Value) constant.Value {
	switch v.Kind() {
	case reflect.Bool:
		return constant.MakeBool(v.Bool())
	case reflect.String:
		return constant.MakeString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return constant.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return constant.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return constant.MakeFloat64(v.Float())
	}
	return nil
}

var (
	errorType  = reflect.TypeOf((*error)(nil)).Elem()
	basicKinds = map[reflect.Kind]types.BasicKind{
		reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
		reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
		reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64,
		reflect.Uintptr: types.Uintptr, reflect.Float32: types.Float32, reflect.Float64: types.Float64,
		reflect.Complex64: types.Complex64, reflect.Complex128: types.Complex128, reflect.String: types.String,
		reflect.UnsafePointer: types.UnsafePointer,
	}
)

func (im *symbolImporter) typeOf(rt reflect.Type) types.Type {
	if t, ok := im.types[rt]; ok {
		return t
	}
	if rt == errorType {
		return types.Universe.Lookup("error").Type()
	}
	if rt.Name() != "" && rt.PkgPath() == "" {
		if k, ok := basicKinds[rt.Kind()]; ok {
			return types.Typ[k]
		}
	}
	// Instantiated generic types (iter.Seq[string]) are described by their
	// underlying type: a reflect name cannot be re-instantiated, and the
	// unnamed type stays assignable to the interpreted generic type.
	if rt.Name() != "" && rt.PkgPath() != "" && !strings.Contains(rt.Name(), "[") {
		obj := types.NewTypeName(token.NoPos, im.pkg(rt.PkgPath()), rt.Name(), nil)
		named := types.NewNamed(obj, nil, nil)
		im.types[rt] = named
		named.SetUnderlying(im.structure(rt))
		if rt.Kind() != reflect.Interface {
			im.addMethods(named, rt)
		}
		return named
	}
	if im.inProgress[rt] && strings.Contains(rt.Name(), "[") {
		// A generic instantiation that contains itself: without a name to
		// break the cycle it cannot be described. Any other unnamed type met
		// again (*Frame, reached back through Frame's methods) is safe to
		// describe again: the named type on its cycle is already cached.
		return types.Typ[types.Invalid]
	}
	im.inProgress[rt] = true
	t := im.structure(rt)
	delete(im.inProgress, rt)
	im.types[rt] = t
	return t
}

func (im *symbolImporter) addMethods(named *types.Named, rt reflect.Type) {
	seen := map[string]bool{}
	for _, recv := range []reflect.Type{rt, reflect.PointerTo(rt)} {
		for i := 0; i < recv.NumMethod(); i++ {
			m := recv.Method(i)
			if seen[m.Name] {
				continue
			}
			seen[m.Name] = true
			var rtyp types.Type = named
			if recv != rt {
				rtyp = types.NewPointer(named)
			}
			sig := im.signature(m.Type, 1, types.NewVar(token.NoPos, named.Obj().Pkg(), "", rtyp))
			named.AddMethod(types.NewFunc(token.NoPos, named.Obj().Pkg(), m.Name, sig))
		}
	}
}

func (im *symbolImporter) signature(ft reflect.Type, skip int, recv *types.Var) *types.Signature {
	var params, results []*types.Var
	for i := skip; i < ft.NumIn(); i++ {
		params = append(params, types.NewVar(token.NoPos, nil, "", im.typeOf(ft.In(i))))
	}
	for i := 0; i < ft.NumOut(); i++ {
		results = append(results, types.NewVar(token.NoPos, nil, "", im.typeOf(ft.Out(i))))
	}
	return types.NewSignatureType(recv, nil, nil, types.NewTuple(params...), types.NewTuple(results...), ft.IsVariadic())
}

func (im *symbolImporter) structure(rt reflect.Type) types.Type {
	if k, ok := basicKinds[rt.Kind()]; ok {
		return types.Typ[k]
	}
	switch rt.Kind() {
	case reflect.Pointer:
		return types.NewPointer(im.typeOf(rt.Elem()))
	case reflect.Slice:
		return types.NewSlice(im.typeOf(rt.Elem()))
	case reflect.Array:
		return types.NewArray(im.typeOf(rt.Elem()), int64(rt.Len()))
	case reflect.Map:
		return types.NewMap(im.typeOf(rt.Key()), im.typeOf(rt.Elem()))
	case reflect.Chan:
		dir := types.SendRecv
		switch rt.ChanDir() {
		case reflect.SendDir:
			dir = types.SendOnly
		case reflect.RecvDir:
			dir = types.RecvOnly
		}
		return types.NewChan(dir, im.typeOf(rt.Elem()))
	case reflect.Func:
		return im.signature(rt, 0, nil)
	case reflect.Struct:
		var fields []*types.Var
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			pkg := im.pkg(rt.PkgPath())
			if f.PkgPath != "" {
				pkg = im.pkg(f.PkgPath)
			}
			fields = append(fields, types.NewField(token.NoPos, pkg, f.Name, im.typeOf(f.Type), f.Anonymous))
		}
		return types.NewStruct(fields, nil)
	case reflect.Interface:
		var methods []*types.Func
		for i := 0; i < rt.NumMethod(); i++ {
			m := rt.Method(i)
			pkg := im.pkg(rt.PkgPath())
			methods = append(methods, types.NewFunc(token.NoPos, pkg, m.Name, im.signature(m.Type, 0, nil)))
		}
		it := types.NewInterfaceType(methods, nil)
		it.Complete()
		return it
	}
	return types.Typ[types.Invalid]
}
