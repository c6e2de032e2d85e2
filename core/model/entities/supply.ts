/**
 * Group purchasing: suppliers, their catalogs (cXML, CSV or X12 832 price/sales catalogs), price
 * changes detected between catalog versions, and purchase orders (cXML OrderRequest, X12 850).
 * Products are identified by GS1 GTIN and classified by UNSPSC.
 */
import {
  Optional,
  address,
  bool,
  contactPoint,
  currency,
  date,
  datePeriod,
  dateTime,
  entity,
  formatted,
  identifier,
  int,
  list,
  money,
  num,
  obj,
  enumOf,
  reference,
  text,
  unitPrice,
} from '../common.js';

export const SupplierSchema = entity(
  'Supplier',
  'A vendor the MSO buys from (medical-surgical distributor, manufacturer, office supply). Its catalog and orders refer to it.',
  {
    name: text('Supplier name; cXML From/Credential, X12 N1*SU N102.'),
    organization: Optional(reference('The matching Organization record (kind `supplier`), when one exists.')),
    gln: Optional(formatted('gln', 'GS1 Global Location Number of the supplier; X12 N1*SU N104 with N103 = UL.')),
    duns: Optional(text('D-U-N-S number (9 digits); X12 N1 N104 with N103 = 1, cXML Credential domain `DUNS`.', { pattern: '^[0-9]{9}$' })),
    taxId: Optional(formatted('ein', 'Federal tax id (EIN).')),
    identifiers: Optional(list(identifier('Another identifier.'), 'Other ids: GPO vendor number, ERP vendor id, cXML network id.')),
    status: Optional(enumOf(['active', 'inactive'] as const, 'Whether the MSO currently buys from the supplier; `active` when absent.')),
    paymentTerms: Optional(text('Payment terms as agreed, e.g. `Net 30`; X12 ITD.')),
    address: Optional(address('Remit-to or main address.')),
    telecom: Optional(list(contactPoint('One contact point.'), 'Customer service and order desk contacts.')),
    currency: currency(),
  },
);

export const CatalogItemSchema = entity(
  'CatalogItem',
  'One orderable product in a supplier’s catalog, with its prices. One record per (supplier, supplier SKU, unit of measure).',
  {
    supplier: reference('The Supplier record.'),
    supplierSku: text('Supplier’s part number; cXML SupplierPartID, X12 832 LIN (qualifier VN or SK).', { maxLength: 80 }),
    description: text('Product description; cXML Description, X12 832 PID05.'),
    manufacturer: Optional(text('Manufacturer name; cXML ManufacturerName, X12 832 N1*MF.')),
    manufacturerPartNumber: Optional(text('Manufacturer part number; cXML ManufacturerPartID, X12 832 LIN (qualifier MG).', { maxLength: 80 })),
    gtin: Optional(formatted('gtin', 'GS1 GTIN of the item at this unit of measure; X12 832 LIN (qualifier UK, UP or EN).')),
    unspsc: Optional(formatted('unspsc', 'UNSPSC classification; cXML Classification domain="UNSPSC".')),
    category: Optional(text('Supplier or GPO category name, for people (UNSPSC is the machine classification).')),
    uom: formatted('unit-of-measure', 'Unit of measure the item is sold in, e.g. `EA`, `BX`, `CS`; cXML UnitOfMeasure, X12 832 CTP05-1 / PO4.'),
    packQuantity: Optional(
      int('Number of eaches in one `uom`, e.g. 100 gloves per box; X12 832 PO401, cXML Extrinsic. 1 when absent.', { minimum: 1 }),
    ),
    packUom: Optional(formatted('unit-of-measure', 'Unit of the eaches counted by `packQuantity`, usually `EA`.')),
    listPrice: Optional(unitPrice('List price per `uom`; cXML UnitPrice, X12 832 CTP (CTP02 = RES or MSR).')),
    contractPrice: Optional(unitPrice('Contract (GPO or negotiated) price per `uom`; X12 832 CTP (CTP02 = CON).')),
    contractId: Optional(text('Contract or price agreement number the contract price comes from; X12 832 REF*CT.', { maxLength: 50 })),
    currency: currency(),
    effectivePeriod: Optional(datePeriod('When these prices apply; X12 832 DTM*007 (effective) and DTM*036 (expiration).')),
    status: Optional(enumOf(['active', 'discontinued'] as const, 'Whether the item can be ordered; `active` when absent.')),
    leadTimeDays: Optional(int('Usual days from order to delivery; cXML LeadTime, X12 832 LDT.', { minimum: 0 })),
    latexFree: Optional(bool('Whether the product is labeled latex-free (matters for clinic safety).')),
  },
);

export const PriceChangeSchema = entity(
  'PriceChange',
  'A change in a catalog item’s list or contract price, detected when a new catalog version arrives (or sent by the supplier as an X12 832 price update). Routes use it for price-change alerts.',
  {
    catalogItem: Optional(reference('The CatalogItem record whose price changed.')),
    supplier: reference('The Supplier record.'),
    supplierSku: text('Supplier’s part number of the item; cXML SupplierPartID, X12 832 LIN.', { maxLength: 80 }),
    uom: Optional(formatted('unit-of-measure', 'Unit of measure the prices are per.')),
    priceType: enumOf(['list', 'contract'] as const, 'Which price changed.'),
    oldPrice: Optional(unitPrice('Price before the change; absent when the item is new.')),
    newPrice: unitPrice('Price after the change.'),
    currency: currency(),
    effectiveDate: date('Date the new price applies from; X12 832 DTM*007.'),
    detectedAt: Optional(dateTime('When the hub noticed the change.')),
    reason: Optional(text('Why the price changed, when the supplier says (e.g. `contract renewal`, `raw material surcharge`).')),
  },
);

export const PurchaseOrderSchema = entity(
  'PurchaseOrder',
  'An order from a practice or the MSO to a supplier. cXML OrderRequest / X12 850, with status updated from confirmations (cXML ConfirmationRequest / X12 855) and receipts.',
  {
    poNumber: text('Purchase order number; cXML OrderRequestHeader@orderID, X12 850 BEG03.', { maxLength: 50 }),
    orderDate: date('Order date; cXML OrderRequestHeader@orderDate (date part), X12 850 BEG05.'),
    status: enumOf(
      ['draft', 'submitted', 'confirmed', 'rejected', 'partially_received', 'received', 'cancelled'] as const,
      'Order status: `submitted` once sent, `confirmed` / `rejected` from the supplier’s confirmation (855 BAK02), `partially_received` / `received` from receipts.',
    ),
    supplier: reference('The Supplier record.'),
    buyer: Optional(reference('The ordering Organization (practice or MSO).')),
    shipTo: Optional(
      obj(
        {
          location: Optional(reference('The receiving Location record.')),
          name: Optional(text('Ship-to name; cXML ShipTo/Address/Name, X12 850 N1*ST N102.')),
          address: Optional(address('Ship-to address; X12 850 N3/N4.')),
        },
        'Where the goods go; cXML ShipTo, X12 850 N1*ST.',
      ),
    ),
    requestedDeliveryDate: Optional(date('Requested delivery date for the whole order; X12 850 DTM*002.')),
    lines: list(
      obj(
        {
          lineNumber: int('Line number; cXML ItemOut@lineNumber, X12 850 PO101.', { minimum: 1 }),
          supplierSku: text('Supplier part number; cXML SupplierPartID, X12 850 PO1 (VN).', { maxLength: 80 }),
          description: Optional(text('Item description; cXML Description, X12 850 PID05.')),
          manufacturerPartNumber: Optional(text('Manufacturer part number; X12 850 PO1 (MG).', { maxLength: 80 })),
          gtin: Optional(formatted('gtin', 'GS1 GTIN; X12 850 PO1 (UK/UP/EN).')),
          catalogItem: Optional(reference('The CatalogItem ordered, when known.')),
          quantity: num('Quantity ordered in `uom`; cXML ItemOut@quantity, X12 850 PO102.', { exclusiveMinimum: 0 }),
          uom: formatted('unit-of-measure', 'Unit of measure; cXML UnitOfMeasure, X12 850 PO103.'),
          unitPrice: unitPrice('Price per `uom`; cXML UnitPrice, X12 850 PO104.'),
          extendedAmount: Optional(money('Line amount (quantity x unit price, rounded to cents).', { minimum: 0 })),
          quantityConfirmed: Optional(num('Quantity the supplier confirmed; X12 855 ACK02.', { minimum: 0 })),
          quantityReceived: Optional(num('Quantity received so far.', { minimum: 0 })),
          status: Optional(
            enumOf(
              ['open', 'confirmed', 'backordered', 'shipped', 'received', 'cancelled'] as const,
              'Line status; from X12 855 ACK01 (IA accepted, IB backordered, IR rejected) and receipts. `open` when absent.',
            ),
          ),
        },
        'One order line.',
      ),
      'Order lines; cXML ItemOut, X12 850 PO1 loop.',
      { minItems: 1 },
    ),
    totalAmount: Optional(money('Order total as stated by the source (may include tax and shipping); cXML Total, X12 850 AMT*TT.', { minimum: 0 })),
    currency: currency(),
    notes: Optional(text('Comments to the supplier; cXML Comments, X12 850 MSG.')),
  },
);
